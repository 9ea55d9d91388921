import AgentHost
import AgentTestSupport
import DevControlPlane
import Foundation
import Testing

/// Certificates made by openssl for one test run: a CA, a server certificate for localhost, a
/// client certificate for the agent, and a second, unrelated CA with its own client certificate.
struct TestPKI {
    let directory: String
    var caCertificate: String { "\(directory)/ca.pem" }
    var serverCertificate: String { "\(directory)/server.pem" }
    var serverKey: String { "\(directory)/server.key" }
    var clientCertificate: String { "\(directory)/client.pem" }
    var clientKey: String { "\(directory)/client.key" }
    var rogueClientCertificate: String { "\(directory)/rogue-client.pem" }
    var rogueClientKey: String { "\(directory)/rogue-client.key" }

    init(agentID: String) throws {
        directory = NSTemporaryDirectory() + "pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=StreamSpace Test CA", "-keyout", "ca.key", "-out", "ca.pem"])
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=Rogue CA", "-keyout", "rogue-ca.key", "-out", "rogue-ca.pem"])
        try issue(name: "server", subject: "/CN=localhost", ca: "ca", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        try issue(name: "client", subject: "/CN=\(agentID)", ca: "ca", extensions: "extendedKeyUsage=clientAuth")
        try issue(name: "rogue-client", subject: "/CN=\(agentID)", ca: "rogue-ca", extensions: "extendedKeyUsage=clientAuth")
    }

    private func issue(name: String, subject: String, ca: String, extensions: String) throws {
        try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                     "-keyout", "\(name).key", "-out", "\(name).csr"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                     "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

@Suite(.serialized) struct TLSTests {
    func harness(_ pki: TestPKI, agentID: String, client: (certificate: String, key: String)?, trustCA: Bool = true) async throws -> LinkHarness {
        try await LinkHarness(agentID: agentID, configure: {
            $0.host = "127.0.0.1"
            $0.tls = .init(certificateFile: pki.serverCertificate, privateKeyFile: pki.serverKey, clientCAFile: pki.caCertificate)
        }, configureLink: { link in
            // "localhost", not an IP: TLS sends the host name for SNI and verifies it.
            link.controlPlaneURL = link.controlPlaneURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            link.tls.caFile = trustCA ? pki.caCertificate : nil
            link.tls.clientCertificateFile = client?.certificate
            link.tls.clientKeyFile = client?.key
        })
    }

    @Test func mutualTLSWithTheRightCertificatesConnects() async throws {
        let agentID = "mtls-agent-1"
        let pki = try TestPKI(agentID: agentID)
        let harness = try await harness(pki, agentID: agentID, client: (pki.clientCertificate, pki.clientKey))
        #expect(harness.endpoints.agentURL.hasPrefix("wss://"))
        harness.startAgent()
        try await harness.waitUntilConnected()
        let created = try await harness.controlPlane.createSession(.init(agentId: agentID, user: "alice", template: "firefox"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        await harness.shutdown()
    }

    @Test(arguments: ["no client certificate", "a client certificate from another CA", "an untrusted server"])
    func refusedWithoutTheRightCertificates(_ case: String) async throws {
        let agentID = "mtls-agent-2"
        let pki = try TestPKI(agentID: agentID)
        let client: (String, String)? = switch `case` {
        case "no client certificate": nil
        case "a client certificate from another CA": (pki.rogueClientCertificate, pki.rogueClientKey)
        default: (pki.clientCertificate, pki.clientKey)
        }
        let harness = try await harness(pki, agentID: agentID, client: client, trustCA: `case` != "an untrusted server")
        harness.startAgent()
        // It keeps trying (backoff), says why, and never gets in.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, !harness.logs.all.contains(where: { $0.contains("cannot reach") || $0.contains("cannot connect") }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = await harness.controlPlane.state
        #expect(state.agent(agentID)?.connected != true)
        #expect((state.agent(agentID)?.connections ?? 0) == 0)
        #expect(harness.link.state != .connected)
        #expect(harness.logs.all.contains { $0.contains("cannot reach") || $0.contains("cannot connect") },
                "\(harness.logs.all.filter { $0.hasPrefix("warning") || $0.hasPrefix("error") || $0.hasPrefix("notice") }.suffix(8))")
        await harness.shutdown()
    }
}
