import AgentHost
import AgentTestSupport
import DevControlPlane
import Foundation
import Testing

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
        while ContinuousClock.now < deadline, !harness.logs.all.contains(where: { $0.contains("cannot register with the Control Plane") || $0.contains("cannot open the link") }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = await harness.controlPlane.state
        #expect(state.agent(agentID)?.connected != true)
        #expect((state.agent(agentID)?.connections ?? 0) == 0)
        #expect(harness.link.state != .connected)
        // Each worded as what it is, with what to check.
        let phrase = `case` == "an untrusted server"
            ? "TLS: the server's certificate is not signed by a trusted CA — give the CA that signed the Control Plane's certificate with --ca-file"
            : "TLS: the server refused this client's certificate"
        #expect(harness.logs.all.contains { ($0.contains("cannot register with the Control Plane") || $0.contains("cannot open the link")) && $0.contains(phrase) },
                "\(harness.logs.all.filter { $0.hasPrefix("warning") || $0.hasPrefix("error") || $0.hasPrefix("notice") }.suffix(8))")
        await harness.shutdown()
    }
}
