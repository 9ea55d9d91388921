import AsyncHTTPClient
import ControlPlaneProtocol
import DevControlPlane
import NIOSSL
import Testing

@Suite("TLS: wss with a self-signed certificate, mutual TLS")
struct TLSTests {
    static func clientTLS(trusting root: String, certificate: String? = nil, key: String? = nil) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
        if let certificate, let key {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return tls
    }

    static func withClient<T>(_ tls: TLSConfiguration, _ body: (HTTPClient) async throws -> T) async throws -> T {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // A refused handshake is retried until the connect timeout: keep it short.
        configuration.timeout.connect = .seconds(2)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("https registration and a wss connection with a self-signed server certificate")
    func selfSigned() async throws {
        let certificates = try TestCertificates.make(clients: [])
        defer { certificates.remove() }
        try await withControlPlane({
            $0.tls = .init(certificateFile: certificates.selfSignedCert, privateKeyFile: certificates.selfSignedKey)
            $0.autoApprove = true
        }) { cp, endpoints in
            #expect(endpoints.agentURL.hasPrefix("wss://"))
            #expect(endpoints.agentHTTPURL.hasPrefix("https://"))
            let tls = try Self.clientTLS(trusting: certificates.selfSignedCert)
            let answer = try await Self.withClient(tls) { client in
                try await register(endpoints, agentId: "agent-tls", key: cp.configuration.apiKey, client: client)
            }
            #expect(answer.status == 200)
            let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-tls"), apiKey: cp.configuration.apiKey, tls: tls)
            try await cp.waitFor("connected over wss") { $0.agent("agent-tls")?.connected == true }
            try await socket.send(heartbeat(activeSessions: 1))
            try await cp.waitFor("heartbeat over wss") { $0.agent("agent-tls")?.activeSessions == 1 }
            let id = try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-tls")
            let frames = try await socket.waitForFrames(1)
            #expect(messages(in: frames[0]).first?.payload["commandId"]?.stringValue == id)
            await socket.close()

            // A client that does not trust the certificate cannot even register.
            let untrusted = await #expect(throws: (any Error).self) {
                try await Self.withClient(TLSConfiguration.makeClientConfiguration()) { client in
                    try await register(endpoints, agentId: "agent-tls", key: cp.configuration.apiKey, client: client)
                }
            }
            #expect(String(describing: untrusted).localizedCaseInsensitiveContains("ssl"), "\(String(describing: untrusted))")
        }
    }

    @Test("mutual TLS: no client certificate refused, a wrong CA refused, the right certificate accepted in place of the key")
    func mutualTLS() async throws {
        let certificates = try TestCertificates.make(clients: ["agent-mtls"])
        defer { certificates.remove() }
        try await withControlPlane({
            $0.tls = .init(certificateFile: certificates.serverCert, privateKeyFile: certificates.serverKey, clientCAFile: certificates.ca)
        }) { cp, endpoints in
            let key = cp.configuration.apiKey
            // No client certificate: the handshake fails, even with the right key.
            let anonymous = try Self.clientTLS(trusting: certificates.ca)
            let noCertificate = await #expect(throws: (any Error).self) {
                try await Self.withClient(anonymous) { client in
                    try await register(endpoints, agentId: "agent-mtls", key: key, client: client)
                }
            }
            #expect(String(describing: noCertificate).localizedCaseInsensitiveContains("ssl"), "\(String(describing: noCertificate))")
            await #expect(throws: TestSocketError.self) {
                _ = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-mtls"), apiKey: key, tls: anonymous)
            }
            // A certificate from another CA: refused.
            let wrong = try Self.clientTLS(trusting: certificates.ca, certificate: certificates.wrongClientCert("agent-mtls"),
                                           key: certificates.wrongClientKey("agent-mtls"))
            let wrongCA = await #expect(throws: (any Error).self) {
                try await Self.withClient(wrong) { client in
                    try await register(endpoints, agentId: "agent-mtls", key: key, client: client)
                }
            }
            #expect(String(describing: wrongCA).localizedCaseInsensitiveContains("ssl"), "\(String(describing: wrongCA))")
            await #expect(throws: TestSocketError.self) {
                _ = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-mtls"), apiKey: key, tls: wrong)
            }
            #expect(await cp.state.agents.isEmpty)

            // The right certificate: its CN is the agent id, so no key is needed.
            let right = try Self.clientTLS(trusting: certificates.ca, certificate: certificates.clientCert("agent-mtls"),
                                           key: certificates.clientKey("agent-mtls"))
            let pending = try await Self.withClient(right) { client in
                try await register(endpoints, agentId: "agent-mtls", key: nil, client: client)
            }
            #expect(pending.status == 202)
            // The certificate does not vouch for another agent id; without a key that is 401.
            let impostor = try await Self.withClient(right) { client in
                try await register(endpoints, agentId: "agent-other", key: nil, client: client)
            }
            #expect(impostor.status == 401)
            try await cp.approve(agentId: "agent-mtls")
            let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-mtls"), apiKey: nil, tls: right)
            try await cp.waitFor("connected with mTLS") { $0.agent("agent-mtls")?.connected == true }
            await socket.close()
        }
    }
}
