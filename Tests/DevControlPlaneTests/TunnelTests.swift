import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import NIOCore
import Testing

/// The dev control plane's side of the session tunnel, against a raw WebSocket standing in for
/// the agent: what goes on the wire, flow control both ways, refusals and resets.
@Suite("Tunnel: the control plane's streams")
struct TunnelTests {
    @Test("tunnel_open names the session, the port and a 256 KiB window; writes wait for the agent's credit")
    func openAndWriteWithinCredit() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-tun-write")
            async let opened = cp.openTunnel(agentId: "agent-tun-write", sessionId: "s-1", port: 8080)
            let open = try await FakeTunnelAgent(agent).nextOpen()
            #expect(open.sessionId == "s-1" && open.port == 8080 && open.window == TunnelStream.window)
            try await agent.send(TunnelMessage.opened(streamId: open.id, window: 64 * 1024).message.encoded())
            let stream = try await opened

            let payload = ByteBuffer(bytes: (0..<100_000).map { UInt8($0 % 251) })
            let writer = Task { try await stream.write(payload) }
            try await eventually("the first 64 KiB") { FakeTunnelAgent(agent).dataBytes(open.id) == 64 * 1024 }
            try await Task.sleep(for: .milliseconds(200))
            #expect(FakeTunnelAgent(agent).dataBytes(open.id) == 64 * 1024, "no byte beyond the credit")
            try await agent.send(TunnelMessage.window(streamId: open.id, bytes: 64 * 1024).message.encoded())
            try await writer.value
            try await eventually("all of it") { FakeTunnelAgent(agent).dataBytes(open.id) == 100_000 }
            #expect(FakeTunnelAgent(agent).data(open.id) == Array(payload.readableBytesView))
            await agent.close()
        }
    }

    @Test("inbound bytes are granted back as the reader takes them, a quarter window at a time")
    func inboundGrants() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-tun-read")
            let fake = FakeTunnelAgent(agent)
            let (stream, open) = try await fake.opened(cp, agentId: "agent-tun-read")
            // A whole window, unread: no grant yet.
            for _ in 0..<4 { try await agent.send(binary: fake.frame(open.id, bytes: 64 * 1024)) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(fake.grants(open.id).isEmpty)
            var iterator = stream.inbound.makeAsyncIterator()
            var read = 0
            while read < 64 * 1024, let piece = try await iterator.next() { read += piece.readableBytes }
            try await eventually("a grant") { fake.grants(open.id).reduce(0, +) >= 64 * 1024 }
            #expect(fake.grants(open.id) == [64 * 1024])
            await agent.close()
        }
    }

    @Test("data beyond the window resets the stream and is recorded")
    func beyondWindow() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-tun-over")
            let fake = FakeTunnelAgent(agent)
            let (stream, open) = try await fake.opened(cp, agentId: "agent-tun-over")
            for _ in 0..<5 { try await agent.send(binary: fake.frame(open.id, bytes: 64 * 1024)) }
            try await eventually("a tunnel_reset") { fake.resets(open.id).count == 1 }
            #expect(fake.resets(open.id)[0].contains("window"))
            let state = try await cp.waitFor("a record") { !$0.rejected(from: "agent-tun-over").isEmpty }
            #expect(state.rejected(from: "agent-tun-over")[0].reason.contains("beyond the window"))
            await #expect(throws: TunnelStreamError.self) { for try await _ in stream.inbound {} }
            await agent.close()
        }
    }

    @Test("a tunnel_reset before tunnel_opened is a refusal with the agent's reason")
    func refused() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-tun-refuse")
            let fake = FakeTunnelAgent(agent)
            async let opened = cp.openTunnel(agentId: "agent-tun-refuse", sessionId: "nope", port: 22)
            let open = try await fake.nextOpen()
            try await agent.send(TunnelMessage.reset(streamId: open.id, error: "session nope is not running").message.encoded())
            do {
                _ = try await opened
                Issue.record("opened")
            } catch let error as TunnelStreamError {
                #expect(error.isRefused && error.reason == "session nope is not running")
            }
            #expect(await cp.openTunnelCount(agentId: "agent-tun-refuse") == 0)
            await agent.close()
        }
    }

    @Test("end() sends tunnel_end after the data; the agent's tunnel_end ends the reader; a lost connection fails it")
    func endAndConnectionLoss() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-tun-end")
            let fake = FakeTunnelAgent(agent)
            let (stream, open) = try await fake.opened(cp, agentId: "agent-tun-end")
            try await stream.write(ByteBuffer(string: "bye"))
            stream.end()
            try await eventually("tunnel_end") { fake.ends(open.id) == 1 }
            #expect(fake.data(open.id) == Array("bye".utf8))
            try await agent.send(binary: fake.frame(open.id, bytes: 5))
            try await agent.send(TunnelMessage.end(streamId: open.id).message.encoded())
            var got = 0
            for try await piece in stream.inbound { got += piece.readableBytes }
            #expect(got == 5)
            try await eventually("forgotten") { await cp.openTunnelCount(agentId: "agent-tun-end") == 0 }

            let (lost, _) = try await fake.opened(cp, agentId: "agent-tun-end", after: 1)
            await agent.close()
            do {
                for try await _ in lost.inbound {}
                Issue.record("the reader ended normally")
            } catch let error as TunnelStreamError {
                #expect(error.kind == .connectionLost)
            }
        }
    }

    @Test("vnc_ready, vnc_data (base64) and vnc_error are recorded per session")
    func vncRelayRecord() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-vnc")
            try await agent.send(AgentMessage.vncReady(sessionId: "s-v", vncPort: 5900, podName: "pod-1").encoded())
            try await agent.send(AgentMessage.vncData(sessionId: "s-v", bytes: Array("RFB 003.008\n".utf8)).encoded())
            try await agent.send(AgentMessage.vncData(sessionId: "s-v", bytes: [0, 255, 1]).encoded())
            try await agent.send(AgentMessage.vncError(sessionId: "s-v", error: "connection refused").encoded())
            let state = try await cp.waitFor("the relay record") { $0.vncRelay("s-v")?.errors.count == 1 }
            let record = try #require(state.vncRelay("s-v"))
            #expect(record.readyCount == 1 && record.vncPort == 5900 && record.podName == "pod-1")
            #expect(Array(record.data) == Array("RFB 003.008\n".utf8) + [0, 255, 1])
            #expect(record.dataMessages == 2 && record.undecodable == 0 && record.errors == ["connection refused"])
            #expect(state.rejected.isEmpty)
            await agent.close()
        }
    }
}
