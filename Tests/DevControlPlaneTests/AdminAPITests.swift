import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Synchronization
import Testing

@Suite("Admin API through DevControlPlaneClient")
struct AdminAPITests {
    @Test("agents, approve, sessions, lifecycle commands, raw frames, commands, rejected, metrics")
    func roundTrip() async throws {
        try await withControlPlane { cp, endpoints in
            let admin = DevControlPlaneClient(adminURL: endpoints.adminURL)
            #expect(endpoints.adminURL.hasPrefix("http://127.0.0.1:"))
            let key = cp.configuration.apiKey
            #expect(try await register(endpoints, agentId: "agent-admin", key: key).status == 202)
            #expect(try await admin.agents().map(\.agentId) == ["agent-admin"])
            #expect(try await admin.agent("agent-admin").approvalStatus == .pending)
            #expect(try await admin.approve("agent-admin").approvalStatus == .approved)
            await #expect(throws: DevControlPlaneError.adminAPI(status: 404, message: #"no agent "nobody" has registered"#)) {
                try await admin.approve("nobody")
            }

            let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-admin"), apiKey: key)
            try await cp.waitFor("connected") { $0.agent("agent-admin")?.connected == true }

            let created = try await admin.createSession(SessionRequest(user: "carol", template: "xterm", image: "alpine:3", port: 5901))
            #expect(created.sessionId.hasPrefix("carol-xterm-"))
            #expect(try await admin.sessions().map(\.sessionId) == [created.sessionId])
            #expect(try await admin.session(created.sessionId).state == "pending")
            let hibernate = try await admin.hibernate(created.sessionId)
            let wake = try await admin.wake(created.sessionId)
            let stop = try await admin.deleteSession(created.sessionId)
            let batch = try await admin.send(commands: [
                OutgoingCommand(action: "stop_session", payload: .object(["sessionId": .string("x-1")])),
                OutgoingCommand(action: "stop_session", payload: .object(["sessionId": .string("x-2")])),
            ], to: "agent-admin")
            #expect(batch.count == 2)
            try await admin.sendRaw("garbage", to: "agent-admin")
            try await eventually("all frames") { socket.frames.contains("garbage") }
            let sent = socket.frames.flatMap(messages(in:)).compactMap { try? Command.parse($0.payload).get().commandId }
            #expect(sent == [created.commandId, hibernate, wake, stop] + batch)

            try await socket.send(AgentMessage.ack(commandId: stop).encoded())
            try await socket.send(AgentMessage.status(sessionId: created.sessionId, state: "terminated", vncReady: false, vncPort: 0, platformMetadata: [:]).encoded())
            try await socket.send(AgentMessage.complete(commandId: stop, result: [:]).encoded())
            try await socket.send(#"{"type":"heartbeat","payload":{"activeSessions":"1"}}"#)
            try await eventually("replies applied") {
                try await admin.commands(state: .completed).map(\.commandId) == [stop]
            }
            #expect(try await admin.session(created.sessionId).state == "terminated")
            #expect(try await admin.commands(agentId: "agent-admin").count == 6)
            // A replay: the same command under the same id, back to `sent`.
            try await admin.resend(commandId: stop)
            try await eventually("the replay") {
                socket.frames.flatMap(messages(in:)).compactMap { try? Command.parse($0.payload).get().commandId }.filter { $0 == stop }.count == 2
            }
            #expect(try await admin.commands(state: .completed).isEmpty)
            await #expect(throws: DevControlPlaneError.adminAPI(status: 400, message: "no command cmd-none")) {
                try await admin.resend(commandId: "cmd-none")
            }
            let rejected = try await admin.rejected(agentId: "agent-admin")
            #expect(rejected.count == 1)
            #expect(rejected.first?.stage == .types)

            let metrics = Message(type: "metrics", payload: .object(["node": .object(["cpuCores": .int(2)])]))
            try await socket.send(metrics.encoded())
            try await eventually("metrics") { try await !admin.metrics().isEmpty }
            #expect(try await admin.metrics().first?.payload["node"]?["cpuCores"]?.intValue == 2)
            #expect(try await admin.events().contains { $0.kind == "connected" })
            #expect(try await admin.state().agents.count == 1)

            await socket.close()
            try await cp.waitFor("disconnected") { $0.agent("agent-admin")?.connected == false }
            await #expect(throws: DevControlPlaneError.self) {
                try await admin.hibernate(created.sessionId)
            }
            #expect(try await admin.commands(state: .failed).count == 1)
        }
    }

    @Test("logs: request, chunks (utf8 and base64), log_end; follow streams and cancels when the reader leaves")
    func logs() async throws {
        try await withControlPlane { cp, endpoints in
            let admin = DevControlPlaneClient(adminURL: endpoints.adminURL)
            let socket = try await connectedAgent(cp, endpoints, "agent-logs")
            let created = try await cp.createSession(SessionRequest(user: "dave", template: "firefox"))
            try await socket.waitForFrames(1)

            // A fake agent answering the first logs_request.
            let responder = Task {
                try await eventually("logs_request") { socket.frames.flatMap(messages(in:)).contains { $0.type == "logs_request" } }
                let request = try #require(socket.frames.flatMap(messages(in:)).first { $0.type == "logs_request" })
                let requestId = try #require(request.payload["requestId"]?.stringValue)
                #expect(request.payload["sessionId"]?.stringValue == created.sessionId)
                #expect(request.payload["follow"]?.boolValue == false)
                #expect(request.payload["tailLines"]?.intValue == 10)
                func chunk(_ seq: Int, _ data: String, _ encoding: String) -> String {
                    Message(type: "log_chunk", payload: .object([
                        "requestId": .string(requestId), "sessionId": .string(created.sessionId), "seq": .int(Int64(seq)),
                        "data": .string(data), "encoding": .string(encoding)])).encoded()
                }
                try await socket.send(chunk(0, "line one\n", "utf8"))
                try await socket.send(chunk(1, "bGluZSB0d28K", "base64"))  // "line two\n"
                try await socket.send(Message(type: "log_end", payload: .object(["requestId": .string(requestId), "reason": .string("eof")])).encoded())
            }
            let result = try await admin.logs(sessionId: created.sessionId, tailLines: 10)
            try await responder.value
            #expect(result.text == "line one\nline two\n")
            #expect(result.stream.ended)
            #expect(result.stream.reason == "eof")
            #expect(result.stream.chunks.map(\.seq) == [0, 1])

            // Follow: text as it comes; leaving sends logs_cancel.
            let before = socket.frames.count
            let received = Received()
            let follower = Task {
                try await admin.followLogs(sessionId: created.sessionId) { text in
                    received.append(text)
                    return !received.text.contains("live line")
                }
            }
            try await eventually("a follow request") {
                socket.frames.dropFirst(before).flatMap(messages(in:)).contains { $0.type == "logs_request" && $0.payload["follow"]?.boolValue == true }
            }
            let follow = try #require(socket.frames.dropFirst(before).flatMap(messages(in:)).first { $0.type == "logs_request" })
            let followId = try #require(follow.payload["requestId"]?.stringValue)
            try await socket.send(Message(type: "log_chunk", payload: .object([
                "requestId": .string(followId), "sessionId": .string(created.sessionId), "seq": .int(0),
                "data": .string("live line\n"), "encoding": .string("utf8")])).encoded())
            try await follower.value
            #expect(received.text == "live line\n")
            try await eventually("logs_cancel after the reader left") {
                socket.frames.flatMap(messages(in:)).contains { $0.type == "logs_cancel" && $0.payload["requestId"]?.stringValue == followId }
            }
            #expect(await cp.state.logStream(followId)?.cancelled == true)
            await socket.close()
        }
    }
}

final class Received: Sendable {
    private let value = Mutex("")
    func append(_ text: String) { value.withLock { $0 += text } }
    var text: String { value.withLock { $0 } }
}
