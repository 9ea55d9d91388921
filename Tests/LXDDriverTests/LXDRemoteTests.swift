import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// A remote LXD over HTTPS, reached with a client certificate it trusts. The test LXD listens on
/// loopback for the duration and trusts a certificate made by openssl for it.
@Suite(.serialized, lxdTrait) struct LXDRemoteTests {
    @Test func aTrustedClientCertificateReachesARemoteLXDAndAnUntrustedOneDoesNot() async throws {
        let pki = try TestPKI(agentID: "lxd-remote")
        defer { try? FileManager.default.removeItem(atPath: pki.directory) }
        let port = Int.random(in: 30000...60000)
        try LXDTestEnvironment.lxcOutput(["config", "set", "core.https_address", "127.0.0.1:\(port)"])
        defer { _ = try? LXDTestEnvironment.lxc(["config", "unset", "core.https_address"]) }
        try LXDTestEnvironment.lxcOutput(["config", "trust", "add", pki.clientCertificate])
        let fingerprint = try LXDTestEnvironment.lxcOutput(["config", "trust", "list", "--format", "csv"])
            .split(separator: "\n").first { $0.contains("lxd-remote") }?.split(separator: ",").dropFirst(3).first.map(String.init)  // type,name,CN,fingerprint,…
        defer { if let fingerprint { _ = try? LXDTestEnvironment.lxc(["config", "trust", "remove", fingerprint]) } }

        // LXD's own certificate is self-signed and not a CA: BoringSSL will not take it as a
        // trust root, so this test turns server verification off (see the driver's README).
        func driver(_ certificate: String, _ key: String) async throws -> Driver {
            try await LXDTest.loadDriver(config: #"{"url": "https://127.0.0.1:\#(port)", "clientCertificate": "\#(certificate)", "clientKey": "\#(key)", "tlsVerify": false, "hibernate": "stop", "stopTimeoutSeconds": 2}"#)
        }
        let trusted = try await driver(pki.clientCertificate, pki.clientKey)
        var health = await trusted.health()
        for _ in 0..<20 where health.status != .healthy {  // the listener comes up in a moment
            try await Task.sleep(for: .milliseconds(100))
            health = await trusted.health()
        }
        #expect(health.status == .healthy, "\(health.detail ?? "")")
        #expect(health.detail?.contains("https://127.0.0.1:\(port)") == true)
        let id = LXDTest.sessionID("remote")
        defer { LXDTest.cleanUp([id]) }
        #expect(try await trusted.start(try LXDTest.spec(id, persistentHome: false)).state == .running)
        #expect(try await trusted.stop(StopRequest(sessionId: id)).state == .terminated)
        await trusted.destroy()

        let stranger = try await driver(pki.rogueClientCertificate, pki.rogueClientKey)
        let refused = await stranger.health()
        #expect(refused.status == .unhealthy)
        #expect(refused.detail?.contains("does not trust this client") == true, "\(refused.detail ?? "")")
        await #expect(throws: DriverError.self) { try await stranger.sessions() }
        await stranger.destroy()
    }
}
