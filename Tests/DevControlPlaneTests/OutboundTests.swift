import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

@Suite("Outbound: commands, batching, the disconnected-agent rule")
struct OutboundTests {
    @Test("messages queued together share one frame, separated by \\n")
    func batchedFrames() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-batch")
            let ids = try await cp.send(commands: (1...3).map {
                OutgoingCommand(action: "stop_session", payload: .object(["sessionId": .string("s-\($0)")]))
            }, to: "agent-batch")
            let frames = try await socket.waitForFrames(1)
            #expect(frames.count == 1)
            let lines = frames[0].split(separator: "\n")
            #expect(lines.count == 3)
            let decoded = lines.map { Message.decode($0) }
            for (index, result) in decoded.enumerated() {
                let message = try result.get()
                #expect(message.type == "command")
                #expect(message.timestamp.map { RFC3339.parse($0) != nil } == true)
                let command = try Command.parse(message.payload).get()
                #expect(command.commandId == ids[index])
                #expect(command.commandId.hasPrefix("cmd-"))
                #expect(command.action == "stop_session")
                #expect(command.payload["sessionId"]?.stringValue == "s-\(index + 1)")
            }
            // Each line alone is one JSON value; the whole frame is not (the agent must split).
            #expect((try? StrictJSON.parse(frames[0])) == nil)
            #expect(await cp.state.commands.allSatisfy { $0.state == .sent })
            await socket.close()
        }
    }

    @Test("a batch window gathers separately sent commands into one frame")
    func batchWindow() async throws {
        try await withControlPlane({ $0.batchWindow = .milliseconds(300) }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-window")
            try await cp.send(action: "wake_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-window")
            try await cp.send(action: "wake_session", payload: .object(["sessionId": .string("s-2")]), to: "agent-window")
            let frames = try await socket.waitForFrames(1)
            try await Task.sleep(for: .milliseconds(400))
            #expect(socket.frames.count == 1)
            #expect(messages(in: frames[0]).count == 2)
            await socket.close()
        }
    }

    @Test("batching off: one message per frame")
    func unbatched() async throws {
        try await withControlPlane({ $0.batchOutgoing = false }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-single")
            try await cp.send(commands: (1...3).map {
                OutgoingCommand(action: "stop_session", payload: .object(["sessionId": .string("s-\($0)")]))
            }, to: "agent-single")
            let frames = try await socket.waitForFrames(3)
            #expect(frames.allSatisfy { !$0.contains("\n") && messages(in: $0).count == 1 })
            await socket.close()
        }
    }

    @Test("commands to a disconnected agent fail at once; nothing is queued")
    func disconnectedAgent() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-gone")
            await socket.close()
            try await cp.waitFor("disconnected") { $0.agent("agent-gone")?.connected == false }
            let started = ContinuousClock.now
            await #expect(throws: DevControlPlaneError.self) {
                try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-gone")
            }
            #expect(ContinuousClock.now - started < .seconds(1))
            let command = try #require(await cp.state.commands.last)
            #expect(command.state == .failed)
            #expect(command.error?.contains("not connected") == true)
            await #expect(throws: DevControlPlaneError.noAgentAvailable) {
                _ = try await cp.createSession(SessionRequest(user: "bob", template: "firefox"))
            }
            // Reconnecting does not deliver it later.
            let again = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-gone"), apiKey: cp.configuration.apiKey)
            try await cp.waitFor("reconnected") { $0.agent("agent-gone")?.connected == true }
            try await Task.sleep(for: .milliseconds(300))
            #expect(again.frames.isEmpty)
            await again.close()
        }
    }

    @Test("createSession sends a realistic start_session that the agent's translation accepts")
    func startSessionPayload() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-start")
            let created = try await cp.createSession(SessionRequest(user: "alice", template: "firefox", image: "lscr.io/linuxserver/firefox:latest", port: 3000))
            #expect(created.sessionId.hasPrefix("alice-firefox-"))
            #expect(created.sessionId.count == "alice-firefox-".count + 8)
            let frames = try await socket.waitForFrames(1)
            let command = try Command.parse(try #require(messages(in: frames[0]).first).payload).get()
            #expect(command.commandId == created.commandId)
            #expect(command.action == "start_session")
            let payload = command.payload
            #expect(payload["user"]?.stringValue == "alice")
            #expect(payload["template"]?.stringValue == "firefox")
            #expect(payload["namespace"]?.stringValue == "streamspace")
            #expect(payload["cpu"]?.stringValue == "1000m")
            #expect(payload["memory"]?.stringValue == "2Gi")
            #expect(payload["persistentHome"]?.boolValue == true)
            let spec = try #require(payload["templateManifest"]?["spec"])
            #expect(spec["baseImage"]?.stringValue == "lscr.io/linuxserver/firefox:latest")
            #expect(spec["ports"]?.arrayValue?.first?["containerPort"]?.intValue == 3000)
            #expect(spec["volumeMounts"]?.arrayValue?.first?["mountPath"]?.stringValue == "/config")
            #expect(spec["env"]?.arrayValue?.count == 3)

            let sessionSpec = try CommandTranslation.sessionSpec(fromStart: payload)
            #expect(sessionSpec.id == created.sessionId)
            #expect(sessionSpec.template.image == "lscr.io/linuxserver/firefox:latest")
            #expect(sessionSpec.template.ports.first?.port == 3000)
            #expect(sessionSpec.persistentHome)

            // Lifecycle commands carry the session id and set the in-between states.
            let hibernate = try await cp.hibernate(sessionId: created.sessionId)
            #expect(await cp.state.session(created.sessionId)?.state == "hibernating")
            let wake = try await cp.wake(sessionId: created.sessionId)
            #expect(await cp.state.session(created.sessionId)?.state == "waking")
            let stop = try await cp.deleteSession(created.sessionId, deletePVC: true)
            #expect(await cp.state.session(created.sessionId)?.state == "terminating")
            try await eventually("three more commands") { socket.frames.flatMap(messages(in:)).count == 4 }
            let sent = socket.frames.flatMap(messages(in:)).compactMap { try? Command.parse($0.payload).get() }
            #expect(sent.map(\.commandId) == [created.commandId, hibernate, wake, stop])
            #expect(sent.map(\.action) == ["start_session", "hibernate_session", "wake_session", "stop_session"])
            #expect(sent.dropFirst().allSatisfy { $0.payload["sessionId"]?.stringValue == created.sessionId })
            #expect(sent.last?.payload["deletePVC"]?.boolValue == true)
            await socket.close()
        }
    }

    @Test("more messages than the send buffer holds: the connection is dropped, the commands fail")
    func sendBufferOverflow() async throws {
        try await withControlPlane({ $0.sendBufferSize = 4 }) { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-slow")
            let five = (1...5).map { OutgoingCommand(action: "stop_session", payload: .object(["sessionId": .string("s-\($0)")])) }
            await #expect(throws: DevControlPlaneError.self) { try await cp.send(commands: five, to: "agent-slow") }
            let state = try await cp.waitFor("dropped") { $0.agent("agent-slow")?.lastDisconnectReason != nil }
            #expect(state.agent("agent-slow")?.lastDisconnectReason?.contains("send buffer full") == true)
            #expect(state.commands.filter { $0.state == .failed }.count == 5)
            await socket.close()
        }
    }

    @Test("a raw frame goes out verbatim, alone")
    func rawFrame() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-raw")
            let garbage = #"{"type":"command","timestamp":1733340000,"payload":{}}"# + "\n" + "not json at all"
            try await cp.sendRaw(frame: garbage, to: "agent-raw")
            let frames = try await socket.waitForFrames(1)
            #expect(frames == [garbage])
            await socket.close()
        }
    }
}
