import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

@Suite("Keepalive: ping control frames, the pong timeout, the heartbeat timeout")
struct KeepaliveTests {
    @Test("pings are sent and a client answering them stays connected past the pong timeout")
    func pingsAnswered() async throws {
        try await withControlPlane({ $0.pingInterval = .milliseconds(200); $0.pongTimeout = .seconds(2) }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-ping")
            try await cp.waitFor("pings sent and answered") {
                ($0.agent("agent-ping")?.pingsSent ?? 0) >= 3 && ($0.agent("agent-ping")?.controlFramesReceived ?? 0) >= 3
            }
            try await Task.sleep(for: .seconds(3))
            #expect(await cp.state.agent("agent-ping")?.connected == true)
            #expect(!socket.isFinished)
            await socket.close()
        }
    }

    @Test("a client that sends data frames but no ping/pong is closed after the pong timeout")
    func silentClientClosed() async throws {
        try await withControlPlane({ $0.pingInterval = .milliseconds(200); $0.pongTimeout = .seconds(1) }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-silent", reading: false)
            let started = ContinuousClock.now
            // Heartbeats (data frames) do not keep the connection alive.
            let sender = Task {
                while !Task.isCancelled {
                    try? await socket.send(heartbeat())
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let state = try await cp.waitFor("closed for silence") { $0.agent("agent-silent")?.lastDisconnectReason != nil }
            sender.cancel()
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(900))
            let agent = try #require(state.agent("agent-silent"))
            #expect(agent.lastDisconnectReason?.contains("no ping or pong") == true)
            #expect(agent.pingsSent >= 2)
            #expect(agent.controlFramesReceived == 0)
            #expect(agent.heartbeats >= 1)
            await socket.close()
        }
    }

    @Test("a connected agent without JSON heartbeats shows offline after the heartbeat timeout")
    func heartbeatTimeout() async throws {
        try await withControlPlane({ $0.heartbeatTimeout = .milliseconds(1500) }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-quiet")
            try await cp.waitFor("offline") { $0.agent("agent-quiet")?.status == "offline" }
            #expect(await cp.state.agent("agent-quiet")?.connected == true)
            try await socket.send(heartbeat())
            try await cp.waitFor("online again") { $0.agent("agent-quiet")?.status == "online" }
            await socket.close()
        }
    }
}
