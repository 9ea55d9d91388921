@testable import AgentHost
import AgentTestSupport
import NIOCore
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

/// The dial's own failures, worded as the link logs them, against real sockets.
@Suite struct WebSocketDialFailureTests {
    func dialFailure(_ url: String, answerTimeout: TimeAmount = .seconds(30)) async -> String? {
        do {
            _ = try await WebSocketDialer.connect(url: url, headers: [], tls: nil, maxFrameBytes: 1 << 16, maxMessageBytes: 1 << 16,
                                                  answerTimeout: answerTimeout)
            return nil
        } catch {
            return LinkFailureWording.explain(error)
        }
    }

    @Test func aClosedPortIsRefused() async throws {
        let port = try await MisbehavingServer.closedPort()
        #expect(await dialFailure("ws://127.0.0.1:\(port)/") == "connection refused — check the URL's host and port and that the Control Plane is running")
    }

    @Test func anUpgradeWithoutAnAnswerTimesOut() async throws {
        let server = try await MisbehavingServer.start(.silent)
        // Only the timeout ends this dial: the server never answers.
        #expect(await dialFailure(server.webSocketURL + "/", answerTimeout: .milliseconds(300))
                == "timed out waiting for the answer to the WebSocket upgrade — check the URL and that no firewall drops the traffic on the way")
        await server.stop()
    }

    @Test func aResetUpgradeIsReset() async throws {
        let server = try await MisbehavingServer.start(.reset)
        #expect(await dialFailure(server.webSocketURL + "/")
                == "connection reset — the Control Plane or a proxy on the way dropped the connection; check their logs")
        await server.stop()
    }
}
