@testable import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// A careless or hostile Control Plane: every command gets exactly one true answer, whatever
/// arrives, and nothing runs with defaults nobody asked for.
@Suite(.serialized) struct StrictInputTests {
    static func command(_ id: String, _ action: String, _ payload: JSONValue, timestamp: String = "2025-12-04T13:11:05Z") -> String {
        JSONValue.object([
            "type": .string("command"), "timestamp": .string(timestamp),
            "payload": .object(["commandId": .string(id), "action": .string(action), "payload": payload]),
        ]).jsonString()
    }

    static func start(_ sessionID: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
        var payload: [String: JSONValue] = [
            "sessionId": .string(sessionID), "user": .string("alice"), "template": .string("firefox"),
            "templateManifest": .object(["spec": .object([
                "baseImage": .string("lscr.io/linuxserver/firefox:latest"),
                "ports": .array([.object(["name": .string("vnc"), "containerPort": .int(3000)])]),
            ])]),
        ]
        payload.merge(extra) { _, new in new }
        return .object(payload)
    }

    /// One frame, as the server batches them, holding every kind of unreadable command next to
    /// good ones: each gets its own answer, the good ones run, and the link stays up.
    @Test func everyCommandOfABadBatchGetsItsOwnAnswer() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let suffix = UInt32.random(in: 0...UInt32.max)
        let good = "bob-firefox-\(String(suffix, radix: 16))", wrongCPU = "carol-firefox-\(String(suffix, radix: 16))"
        let big = "dave-firefox-\(String(suffix, radix: 16))"
        let lines = [
            Self.command("cmd-ts-\(suffix)", "stop_session", .object(["sessionId": .string(good)]), timestamp: "yesterday"),
            #"{"type":"command","payload":{"commandId":"cmd-action-\#(suffix)","action":3}}"#,
            Self.command("cmd-cpu-\(suffix)", "start_session", Self.start(wrongCPU, ["cpu": .object([:])])),
            Self.command("cmd-pvc-\(suffix)", "stop_session", .object(["sessionId": .string(good), "deletePVC": .string("true")])),
            // 1.5 MiB: over what the agent reads; 600 KB: over the server's own frame limit, read and run.
            Self.command("cmd-huge-\(suffix)", "start_session", Self.start(big, ["notes": .string(String(repeating: "x", count: 1_500_000))])),
            Self.command("cmd-600k-\(suffix)", "start_session", Self.start(good, ["notes": .string(String(repeating: "y", count: 600_000))])),
            #"{"type":"command","payload":{"action":"stop_session"}}"#,  // no id: nothing to answer
        ]
        let ids = ["ts", "action", "cpu", "pvc", "huge", "600k"].map { "cmd-\($0)-\(suffix)" }
        try await harness.controlPlane.sendRaw(frame: lines.joined(separator: "\n"), to: id, commandIds: ids)

        func failure(_ name: String) async throws -> String {
            try await harness.waitForCommand("cmd-\(name)-\(suffix)", .failed).error ?? ""
        }
        #expect(try await failure("ts").contains(#"message.timestamp: expected an RFC 3339 string like "2025-12-04T13:11:05.123456789-07:00", got "yesterday""#))
        #expect(try await failure("action").contains("command.action: expected a string: start_session, stop_session, hibernate_session or wake_session, got a number (3)"))
        #expect(try await failure("cpu").contains(#"payload.cpu: expected a string like "1000m", got an object"#))
        #expect(try await failure("pvc").contains(#"payload.deletePVC: expected true or false, got a string ("true")"#))
        #expect(try await failure("huge").contains("over the 1 MiB this agent reads"))
        let ran = try await harness.waitForCommand("cmd-600k-\(suffix)", .completed)
        #expect(ran.result?["state"] == .string("running"))

        // Nothing ran with defaults: neither refused start reached the driver.
        await #expect(throws: DriverError.self) { try await harness.driver.session(wrongCPU) }
        await #expect(throws: DriverError.self) { try await harness.driver.session(big) }
        #expect(try await harness.driver.session(good).state == .running)
        // The refused start is reported failed; the link never dropped.
        try await harness.waitFor("the refused start reported failed") { $0.session(wrongCPU)?.state == "failed" }
        #expect(await harness.controlPlane.state.agent(id)?.connections == 1)
        #expect(harness.logs.all.contains { $0.contains("answering command cmd-huge-\(suffix) failed") && $0.contains("\"command\" message") })
        #expect(harness.logs.all.contains { $0.contains("ignoring a command that cannot be answered: command.commandId") })
        _ = try? await harness.driver.stop(StopRequest(sessionId: good))
        await harness.shutdown()
    }

    /// A frame over the 8 MiB the agent reads at all closes the link with 1009; the agent says
    /// why, connects again, and a command that ended meanwhile still gets its answer.
    @Test func anOversizedFrameEndsTheConnectionAndNoAnswerIsLost() async throws {
        let harness = try await LinkHarness.connected(driverConfig: #"{"startDelayMs": 1500}"#)
        let id = harness.agentID
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "erin", template: "firefox"))
        try await harness.waitFor("the start acked") { $0.command(created.commandId)?.state == .acked }
        try await harness.controlPlane.sendRaw(frame: String(repeating: " ", count: 9 << 20), to: id)
        let state = try await harness.waitFor("reconnected") { ($0.agent(id)?.connections ?? 0) >= 2 && $0.agent(id)?.connected == true }
        #expect(harness.logs.all.contains { $0.contains("the Control Plane sent a frame over the 8 MiB limit; closed with 1009") },
                "\(harness.logs.all.suffix(5))")
        #expect(state.agent(id)?.lastDisconnectReason?.contains("1009") == true, "\(state.agent(id)?.lastDisconnectReason ?? "none")")
        // The start finished while the link was down or after: its verdict arrives either way.
        _ = try await harness.waitForCommand(created.commandId, .completed)
        await harness.shutdown()
    }

    /// A reply over the server's 512 KiB frame limit is cut, never dropped: a driver whose
    /// error text is 700 KB still gets its command answered, with the original length named.
    @Test func aReplyTooLargeForAFrameIsCutNotDropped() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let suffix = UInt32.random(in: 0...UInt32.max)
        let action = String(repeating: "z", count: 700_000)
        try await harness.controlPlane.sendRaw(frame: #"{"type":"command","payload":{"commandId":"cmd-long-\#(suffix)","action":"\#(action)"}}"#,
                                               to: id, commandIds: ["cmd-long-\(suffix)"])
        let failed = try await harness.waitForCommand("cmd-long-\(suffix)", .failed)
        let error = failed.error ?? ""
        #expect(error.hasPrefix("unknown action \"zzz"))
        #expect(error.utf8.count <= TextCut.maxReplyTextBytes && error.hasSuffix(" bytes in all]"), "\(error.suffix(60))")
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}
