import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// `tcp://` with TLS client certificates, as the docker CLI does it (DOCKER_CERT_PATH with
/// ca.pem, cert.pem, key.pem). The real daemon sits behind socat, which terminates TLS and
/// demands a client certificate from the test CA; the driver's TLS is the thing under test.
@Suite(.serialized, dockerTrait) struct DockerTLSTests {
    static let socat = ["/usr/bin/socat", "/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test func aTLSDaemonIsReachedWithTheRightClientCertificateAndRefusedWithoutIt() async throws {
        guard let socat = Self.socat else {
            #expect(!DockerTestEnvironment.isRequired, "socat is needed for the Docker TLS test (apt-get install socat)")
            return
        }
        guard DockerTestEnvironment.host.hasPrefix("unix://") else { return }
        let pki = try TestPKI(agentID: "docker-tls")
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        // Three DOCKER_CERT_PATH folders: the right one, a client the daemon does not trust,
        // and a CA that did not sign the daemon's certificate.
        func certPath(_ name: String, ca: String, cert: String, key: String) throws -> String {
            let path = "\(pki.directory)/\(name)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for (source, target) in [(ca, "ca.pem"), (cert, "cert.pem"), (key, "key.pem")] {
                try FileManager.default.copyItem(atPath: source, toPath: "\(path)/\(target)")
            }
            return path
        }
        let good = try certPath("good", ca: pki.caCertificate, cert: pki.clientCertificate, key: pki.clientKey)
        let rogueClient = try certPath("rogue-client", ca: pki.caCertificate, cert: pki.rogueClientCertificate, key: pki.rogueClientKey)
        let wrongCA = try certPath("wrong-ca", ca: "\(pki.directory)/rogue-ca.pem", cert: pki.clientCertificate, key: pki.clientKey)

        let socket = String(DockerTestEnvironment.host.dropFirst("unix://".count))
        let port = Int.random(in: 30000...60000)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: socat)
        proxy.arguments = [
            "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(pki.serverCertificate),key=\(pki.serverKey),cafile=\(pki.caCertificate),verify=1",
            "UNIX-CONNECT:\(socket)",
        ]
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        // SIGKILL: the test process's blocked SIGTERM is inherited by the child, which then
        // would not stop on terminate().
        defer { kill(proxy.processIdentifier, SIGKILL); proxy.waitUntilExit() }

        func driver(_ certPath: String) async throws -> Driver {
            try await DockerTest.loadDriver(config: #"{"host": "tcp://127.0.0.1:\#(port)", "tlsCertPath": "\#(certPath)"}"#)
        }
        let trusted = try await driver(good)
        var health = await trusted.health()
        for _ in 0..<50 where health.status != .healthy {  // socat takes a moment to listen
            try await Task.sleep(for: .milliseconds(100))
            health = await trusted.health()
        }
        #expect(health.status == .healthy, "\(health.detail ?? "")")
        #expect(health.detail?.contains("https://127.0.0.1:\(port)") == true)
        let id = DockerTest.sessionID("tls")
        defer { DockerTest.cleanUp([id]) }
        #expect(try await trusted.start(try DockerTest.spec(id, persistentHome: false)).state == .running)
        #expect(try await trusted.stop(StopRequest(sessionId: id)).state == .terminated)
        await trusted.destroy()

        for (path, why) in [(rogueClient, "a client certificate from another CA"), (wrongCA, "a CA that did not sign the daemon")] {
            let refused = try await driver(path)
            let health = await refused.health()
            #expect(health.status == .unhealthy, "\(why): \(health.detail ?? "")")
            await refused.destroy()
        }
    }
}
