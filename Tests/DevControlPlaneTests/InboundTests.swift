import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

@Suite("Inbound: decoded as strictly as the real server")
struct InboundTests {
    @Test("a valid heartbeat records activeSessions, capacity and last-seen")
    func heartbeatRecorded() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-hb")
            try await socket.send(heartbeat(activeSessions: 2))
            let state = try await cp.waitFor("heartbeat") { $0.agent("agent-hb")?.heartbeats == 1 }
            let agent = try #require(state.agent("agent-hb"))
            #expect(agent.activeSessions == 2)
            #expect(agent.heartbeatCapacity?["maxSessions"]?.intValue == 4)
            #expect(agent.lastHeartbeat.map { RFC3339.parse($0) != nil } == true)
            #expect(state.rejected.isEmpty)
            await socket.close()
        }
    }

    @Test("dropped and recorded: activeSessions 1.0, a numeric timestamp, two JSON values in one frame")
    func strictDrops() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-strict")
            let floatCount = #"{"type":"heartbeat","timestamp":"2025-12-04T13:11:05.123456789-07:00","payload":{"status":"online","activeSessions":1.0,"capacity":{"maxSessions":4,"cpu":"4","memory":"8Gi"}}}"#
            let numericTime = #"{"type":"heartbeat","timestamp":1733340000,"payload":{"status":"online","activeSessions":1}}"#
            let twoValues = heartbeat() + "\n" + heartbeat()
            let stringPort = AgentMessage.status(sessionId: "s-1", state: "running", vncReady: true, vncPort: 1, platformMetadata: [:])
                .encoded().replacing(#""vncPort":1"#, with: #""vncPort":"5900""#)
            let arrayResult = #"{"type":"complete","payload":{"commandId":"cmd-1","result":[1,2]}}"#
            for frame in [floatCount, numericTime, twoValues, stringPort, arrayResult] { try await socket.send(frame) }

            let state = try await cp.waitFor("five rejections") { $0.rejected.count == 5 }
            let rejected = state.rejected(from: "agent-strict")
            #expect(rejected.map(\.stage) == [.types, .decode, .decode, .types, .types])
            #expect(rejected[0].reason.contains("activeSessions"))
            #expect(rejected[0].type == "heartbeat")
            #expect(rejected[1].reason.contains("timestamp"))
            #expect(rejected[2].reason.contains("one JSON value"))
            #expect(rejected[2].frame == twoValues)
            #expect(rejected[3].reason.contains("vncPort"))
            #expect(rejected[4].reason.contains("result"))
            // Nothing of them was applied: not even one of the two heartbeats.
            #expect(state.agent("agent-strict")?.heartbeats == 0)
            #expect(state.sessions.isEmpty)

            // The connection carries on.
            try await socket.send(heartbeat(activeSessions: 1))
            try await cp.waitFor("a good heartbeat") { $0.agent("agent-strict")?.heartbeats == 1 }
            await socket.close()
        }
    }

    @Test("status updates the session; viewable only with vncReady and vncPort > 0")
    func statusUpdatesSession() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-st")
            let created = try await cp.createSession(SessionRequest(user: "alice", template: "firefox"))
            try await socket.waitForFrames(1)
            #expect(await cp.state.session(created.sessionId)?.state == "pending")

            try await socket.send(AgentMessage.status(sessionId: created.sessionId, state: "running", vncReady: false, vncPort: 0,
                                                      platformMetadata: ["containerId": .string("abc")]).encoded())
            var state = try await cp.waitFor("running") { $0.session(created.sessionId)?.state == "running" }
            #expect(state.session(created.sessionId)?.url == nil)
            #expect(state.session(created.sessionId)?.viewable == false)

            try await socket.send(AgentMessage.status(sessionId: created.sessionId, state: "running", vncReady: true, vncPort: 3000,
                                                      platformMetadata: ["url": .string("http://127.0.0.1:49153")]).encoded())
            state = try await cp.waitFor("viewable") { $0.session(created.sessionId)?.viewable == true }
            let session = try #require(state.session(created.sessionId))
            #expect(session.url == "http://127.0.0.1:49153")
            #expect(session.vncPort == 3000)
            #expect(session.platformMetadata?["url"]?.stringValue == "http://127.0.0.1:49153")
            #expect(session.origin == "control-plane")

            try await socket.send(AgentMessage.status(sessionId: created.sessionId, state: "running", vncReady: true, vncPort: 0,
                                                      platformMetadata: [:]).encoded())
            try await cp.waitFor("not viewable without a port") { $0.session(created.sessionId)?.viewable == false }
            await socket.close()
        }
    }

    @Test("ack, complete and failed update the command records")
    func commandReplies() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-cmd")
            let ok = try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-cmd")
            let bad = try await cp.send(action: "wake_session", payload: .object(["sessionId": .string("s-2")]), to: "agent-cmd")
            try await socket.send(AgentMessage.ack(commandId: ok).encoded())
            try await cp.waitFor("acked") { $0.command(ok)?.state == .acked }
            try await socket.send(AgentMessage.complete(commandId: ok, result: ["state": .string("terminated")]).encoded())
            try await socket.send(AgentMessage.ack(commandId: bad).encoded())
            try await socket.send(AgentMessage.failed(commandId: bad, error: "no such session").encoded())
            let state = try await cp.waitFor("done") { $0.command(ok)?.state == .completed && $0.command(bad)?.state == .failed }
            #expect(state.command(ok)?.result?["state"]?.stringValue == "terminated")
            #expect(state.command(bad)?.error == "no such session")
            // An ack for a command the server never sent: logged as not actionable.
            try await socket.send(AgentMessage.ack(commandId: "cmd-unknown").encoded())
            try await cp.waitFor("unknown ack recorded") { $0.rejected.contains { $0.stage == .handling && $0.type == "ack" } }
            await socket.close()
        }
    }

    @Test("result(ofCommand:) waits for complete or failed, and gives up after its timeout")
    func commandResult() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-wait")
            let id = try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-wait")
            let waiter = Task { await cp.result(ofCommand: id) }
            try await socket.waitForFrames(1)
            try await socket.send(AgentMessage.complete(commandId: id, result: [:]).encoded())
            #expect(await waiter.value?.state == .completed)
            #expect(await cp.result(ofCommand: id)?.state == .completed)
            let silent = try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-2")]), to: "agent-wait")
            #expect(await cp.result(ofCommand: silent, timeout: .milliseconds(200))?.state == .sent)
            #expect(await cp.result(ofCommand: "cmd-nope") == nil)
            await socket.close()
        }
    }

    @Test("extension messages are stored: metrics, session_sync, log_chunk, log_end; unknown types are ignored")
    func extensionMessages() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-ext")
            let metrics = Message(type: "metrics", payload: .object([
                "node": .object(["cpuCores": .int(8), "cpuUsedCores": .double(1.5), "memoryBytes": .int(16 << 30),
                                 "memoryUsedBytes": .int(4 << 30), "diskBytes": .int(100 << 30), "diskUsedBytes": .int(10 << 30)]),
                "sessions": .array([]),
                "health": .object(["status": .string("healthy"), "detail": .string("")]),
            ]))
            let sync = Message(type: "session_sync", payload: .object([
                "revision": .int(3),
                "sessions": .array([.object(["sessionId": .string("s-9"), "state": .string("running"),
                                             "endpoints": .array([]), "platformMetadata": .object([:])])]),
            ]))
            try await socket.send(metrics.encoded())
            try await socket.send(sync.encoded())
            try await socket.send(Message(type: "something_new", payload: .object([:])).encoded())
            let state = try await cp.waitFor("extension data") { !$0.metrics.isEmpty && !$0.sessionSyncs.isEmpty }
            #expect(state.metrics[0].payload["node"]?["cpuUsedCores"]?.numberValue == 1.5)
            #expect(state.sessionSyncs[0].revision == 3)
            #expect(state.rejected.isEmpty)
            try await cp.waitFor("unknown type noted") { $0.events.contains { $0.kind == "unknown-message" } }

            // A float where an int belongs is dropped here too.
            let badMetrics = metrics.encoded().replacing(#""memoryBytes":17179869184"#, with: #""memoryBytes":17179869184.0"#)
            try await socket.send(badMetrics)
            try await cp.waitFor("bad metrics dropped") { $0.rejected.count == 1 }
            #expect(await cp.state.metrics[0].count == 1)
            await socket.close()
        }
    }

    @Test("a message over the size limit closes the connection")
    func oversizedMessage() async throws {
        try await withControlPlane({ $0.maxMessageBytes = 64 * 1024 }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-big")
            let padding = String(repeating: "x", count: 80 * 1024)
            try await socket.send(#"{"type":"heartbeat","payload":{"status":"online","pad":""# + padding + #""}}"#)
            try await socket.waitUntilFinished()
            try await cp.waitFor("disconnected") { $0.agent("agent-big")?.connected == false }
        }
    }
}
