import AgentHost
import AgentTestSupport
import DevControlPlane
import Foundation
import Testing

/// Each way the Control Plane can be out of reach is logged as what it is, in one sentence
/// that says what to do: real sockets that refuse, reset, stay silent, speak no TLS, present a
/// certificate of the wrong CA or host, and a name that does not resolve.
@Suite(.serialized) struct FailureWordingTests {
    /// The first line the agent logs before retrying, without its "; retrying in N s" tail.
    func retryLine(_ harness: LinkHarness, tail: String = "; retrying in ") async throws -> String {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let line = harness.logs.all.first(where: { $0.hasPrefix("warning ") && $0.contains(tail) }) {
                let message = line.dropFirst("warning ".count)
                return String(message[..<message.firstRange(of: tail)!.lowerBound])
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no retry line; the log: \(harness.logs.all.suffix(10))")
        throw CancellationError()
    }

    func expectRegistration(to url: String, _ expected: String, configure: (inout DevControlPlaneConfiguration) -> Void = { _ in },
                            configureLink: @escaping (inout LinkConfiguration) -> Void = { _ in }) async throws {
        let harness = try await LinkHarness(configure: configure, configureLink: {
            $0.controlPlaneURL = url
            configureLink(&$0)
        })
        harness.startAgent()
        let line = try await retryLine(harness)
        await harness.shutdown()
        #expect(line == expected)
    }

    @Test func aClosedPortIsConnectionRefused() async throws {
        let port = try await MisbehavingServer.closedPort()
        try await expectRegistration(to: "ws://127.0.0.1:\(port)",
            "cannot register with the Control Plane at http://127.0.0.1:\(port): connection refused — check the URL's host and port and that the Control Plane is running")
    }

    @Test func aResetIsConnectionReset() async throws {
        let server = try await MisbehavingServer.start(.reset)
        try await expectRegistration(to: server.webSocketURL,
            "cannot register with the Control Plane at \(server.httpURL): connection reset — the Control Plane or a proxy on the way dropped the connection; check their logs")
        await server.stop()
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let server = try await MisbehavingServer.start(.silent)
        try await expectRegistration(to: server.webSocketURL,
            "cannot register with the Control Plane at \(server.httpURL): timed out waiting for an answer — check the URL and that no firewall drops the traffic on the way",
            configureLink: { $0.answerTimeout = .seconds(1) })
        await server.stop()
    }

    @Test func aNameThatDoesNotResolveIsDNS() async throws {
        try await expectRegistration(to: "ws://cp.streamspace.invalid:8080",
            "cannot register with the Control Plane at http://cp.streamspace.invalid:8080: the host name cp.streamspace.invalid does not resolve (DNS) — check the host name in --control-plane-url and this host's DNS")
    }

    @Test func aPortThatSpeaksNoTLSFailsTheHandshake() async throws {
        let server = try await MisbehavingServer.start(.blurt("HTTP/1.1 400 Bad Request\r\n\r\n"))
        try await expectRegistration(to: "wss://127.0.0.1:\(server.port)",
            "cannot register with the Control Plane at https://127.0.0.1:\(server.port): TLS handshake failed (wrong version number) — check that the URL's port serves TLS (wss://) and, with mutual TLS, --client-cert")
        await server.stop()
    }

    /// A dev control plane over TLS with `certificate`, reached as localhost, trusting `caFile`.
    func expectTLSRegistration(certificate: (certificate: String, key: String), caFile: String, _ phrase: String) async throws {
        let harness = try await LinkHarness(configure: {
            $0.tls = .init(certificateFile: certificate.certificate, privateKeyFile: certificate.key)
        }, configureLink: { link in
            // "localhost", not an IP: TLS sends the host name for SNI and verifies it.
            link.controlPlaneURL = link.controlPlaneURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            link.tls.caFile = caFile
        })
        harness.startAgent()
        let line = try await retryLine(harness)
        let base = harness.endpoints.agentURL.replacingOccurrences(of: "wss://127.0.0.1", with: "https://localhost")
        await harness.shutdown()
        #expect(line == "cannot register with the Control Plane at \(base): \(phrase)")
    }

    @Test func aCertificateFromAnotherCAIsNotTrusted() async throws {
        let pki = try TestPKI(agentID: "wording-agent")
        try await expectTLSRegistration(certificate: (pki.serverCertificate, pki.serverKey), caFile: "\(pki.directory)/rogue-ca.pem",
            "TLS: the server's certificate is not signed by a trusted CA — give the CA that signed the Control Plane's certificate with --ca-file")
    }

    @Test func aCertificateForAnotherHostIsTheWrongHost() async throws {
        let pki = try TestPKI(agentID: "wording-agent")
        try await expectTLSRegistration(certificate: try pki.serverCertificate(forHost: "elsewhere.test"), caFile: pki.caCertificate,
            "TLS: the server's certificate is not for the host name localhost — use the host name the Control Plane's certificate names in --control-plane-url")
    }

    /// Registration passes; the WebSocket's upgrade is reset: the dial says so, in its words.
    @Test func aResetWebSocketDialIsConnectionReset() async throws {
        let server = try await MisbehavingServer.start(.registerThenReset)
        let harness = try await LinkHarness(configureLink: { $0.controlPlaneURL = server.webSocketURL })
        harness.startAgent()
        let line = try await retryLine(harness, tail: "; reconnecting in ")
        await harness.shutdown()
        await server.stop()
        #expect(line == "cannot open the link to the Control Plane at \(server.webSocketURL): connection reset — the Control Plane or a proxy on the way dropped the connection; check their logs")
    }
}
