@testable import AgentHost
import Testing

@Suite struct WebSocketDialerTests {
    typealias Target = WebSocketDialer.Target

    @Test func urlsSplitIntoHostPortAndRequestTarget() throws {
        let plain = try #require(Target("ws://cp.example.com/api/v1/agents/connect?agent_id=a-1"))
        #expect(plain == Target(secure: false, host: "cp.example.com", port: 80, requestTarget: "/api/v1/agents/connect?agent_id=a-1"))
        #expect(plain.hostHeader == "cp.example.com")
        #expect(plain.serverNameIndication == "cp.example.com")

        let secure = try #require(Target("wss://localhost:8443?agent_id=x"))
        #expect(secure == Target(secure: true, host: "localhost", port: 8443, requestTarget: "/?agent_id=x"))
        #expect(secure.hostHeader == "localhost:8443")

        let ipv4 = try #require(Target("wss://10.0.0.7"))
        #expect(ipv4.port == 443 && ipv4.requestTarget == "/" && ipv4.serverNameIndication == nil)

        let ipv6 = try #require(Target("ws://[::1]:9000/x"))
        #expect(ipv6 == Target(secure: false, host: "::1", port: 9000, requestTarget: "/x"))
        #expect(ipv6.hostHeader == "[::1]:9000" && ipv6.serverNameIndication == nil)
    }

    @Test(arguments: ["http://cp", "ws://", "ws://:80/", "ws://cp:0", "ws://cp:70000", "ws://cp:x", "ws://[::1", "ws://[::1]x"])
    func whatIsNotAWebSocketURLIsRefused(_ url: String) {
        #expect(Target(url) == nil)
    }
}

extension WebSocketDialer.Target {
    init(secure: Bool, host: String, port: Int, requestTarget: String) {
        self.init("ws://placeholder")!
        self.secure = secure
        self.host = host
        self.port = port
        self.requestTarget = requestTarget
    }
}
