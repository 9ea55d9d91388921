@testable import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging
import Testing

/// What an agent restarted on the same --state-dir does with command ids it saw before: a
/// verdict it gave is repeated, a command it was running when it died is answered from the
/// session's true state — and neither is executed again. (In one process, with the mock driver:
/// the journal is written by hand where a crash would have left it; RestartSafetyTests kills the
/// real binary.)
@Suite(.serialized) struct InterruptedCommandTests {
    static func startPayload(_ sessionID: String) -> JSONValue {
        .object(["sessionId": .string(sessionID), "user": .string("alice"), "template": .string("t"),
                 "templateManifest": .object(["spec": .object(["baseImage": .string("busybox:latest")])])])
    }

    @Test func commandsSeenBeforeARestartAreNotExecutedAgain() async throws {
        let stateDirectory = NSTemporaryDirectory() + "agent-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let harness = try await LinkHarness.connected(configureLink: { $0.stateDirectory = stateDirectory })
        let id = harness.agentID
        let done = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "alice", template: "firefox"))
        _ = try await harness.waitForCommand(done.commandId, .completed)
        await harness.stopAgent()

        // Commands the control plane records while the agent is away; the journal says the agent
        // had begun them when it died (the crash the real-binary test makes).
        func recorded(_ action: String, _ payload: JSONValue) async throws -> String {
            do {
                _ = try await harness.controlPlane.send(action: action, payload: payload, to: id)
            } catch .agentNotConnected(_, let commandId?) {
                return commandId
            }
            throw DevControlPlaneError.invalidRequest("the agent was expected to be away")
        }
        let interruptedStart = try await recorded("start_session", Self.startPayload("alice-t-0000000a"))
        let interruptedHibernate = try await recorded("hibernate_session", .object(["sessionId": .string(done.sessionId)]))
        let interruptedStop = try await recorded("stop_session", .object(["sessionId": .string("alice-t-0000000b")]))
        let journal = try CommandJournal(directory: stateDirectory)
        await journal.record(.begun(commandID: interruptedStart, action: "start_session", sessionID: "alice-t-0000000a"))
        await journal.record(.begun(commandID: interruptedHibernate, action: "hibernate_session", sessionID: done.sessionId))
        await journal.record(.begun(commandID: interruptedStop, action: "stop_session", sessionID: "alice-t-0000000b"))
        // Gone by hand while the agent was down: a start run again would bring it back.
        _ = try await harness.driver.stop(StopRequest(sessionId: done.sessionId))

        var configuration = LinkConfiguration(controlPlaneURL: harness.endpoints.agentURL, agentID: id, apiKey: harness.apiKey,
                                              platform: harness.driver.description.platform, region: "test",
                                              capacity: .init(maxSessions: 10, cpu: "4", memory: "8Gi"))
        configuration.stateDirectory = stateDirectory
        configuration.backoffBase = 0.05
        configuration.backoffCap = 0.5
        let restarted = AgentLink(configuration: configuration, driver: harness.driver, logger: harness.logs.logger("restarted"))
        let running = Task { try await restarted.run() }
        defer { running.cancel() }
        try await harness.waitFor("reconnected") { ($0.agent(id)?.connections ?? 0) >= 2 && $0.agent(id)?.connected == true }
        // Gone while the agent was down: the restarted agent never saw it, and its journal tells it
        // the session was there, so the first connect reports it gone.
        try await harness.waitFor("the session gone meanwhile reported") { $0.session(done.sessionId)?.state == "terminated" }

        // Cut short by the crash: answered at once, from the session's true state, unasked. Not
        // where the command meant it to be: failed, as temporary, with the true state reported;
        // nothing started.
        func answered(_ commandID: String) async throws -> CommandRecord {
            try await harness.waitFor("\(commandID) answered after the restart") { state in
                state.command(commandID)?.state == .completed || state.command(commandID)?.error?.contains("restarted") == true
            }.command(commandID)!
        }
        let start = try await answered(interruptedStart)
        #expect(start.error?.contains("the agent restarted while this command ran; the session is now failed, and the command was not run again (temporary") == true,
                "\(start.error ?? "")")
        await #expect(throws: DriverError.self) { try await harness.driver.session("alice-t-0000000a") }
        let hibernate = try await answered(interruptedHibernate)
        #expect(hibernate.error?.contains("the session is now terminated") == true, "\(hibernate.error ?? "")")
        // Where the command meant it to be: complete.
        let stop = try await answered(interruptedStop)
        #expect(stop.state == .completed && stop.result?["state"] == .string("terminated"), "\(stop.error ?? "")")

        // Done before: the same answer, and the driver is not asked (the session stays gone).
        try await harness.controlPlane.resend(commandId: done.commandId)
        let repeated = try await harness.waitForCommand(done.commandId, .completed)
        #expect(repeated.result?["state"] == .string("running"))
        await #expect(throws: DriverError.self) { try await harness.driver.session(done.sessionId) }
        #expect(harness.logs.all.contains { $0.contains("command \(done.commandId) was done before the agent restarted") })
        // A cut-short command sent again: its answer again, still not run.
        try await harness.controlPlane.resend(commandId: interruptedStart)
        #expect(try await harness.waitForCommand(interruptedStart, .failed).error == start.error)
        await #expect(throws: DriverError.self) { try await harness.driver.session("alice-t-0000000a") }
        #expect(await harness.controlPlane.state.session(done.sessionId)?.state == "terminated")

        // The Control Plane's own retry, under a new id, runs: the drivers are idempotent.
        let retry = try await harness.controlPlane.send(action: "start_session", payload: Self.startPayload("alice-t-0000000a"), to: id)
        _ = try await harness.waitForCommand(retry, .completed)
        #expect(try await harness.driver.session("alice-t-0000000a").state == .running)
        // And the verdicts given after the restart are on disk for the next one.
        let reread = try CommandJournal(directory: stateDirectory)
        guard let replies = reread.entry(interruptedStart)?.verdict else {
            Issue.record("the interrupted start's verdict is not in the journal")
            return
        }
        #expect(replies.map(\.type) == ["failed"])
        #expect(reread.loaded.interrupted == 0)

        running.cancel()
        _ = await running.result
        _ = try? await harness.driver.stop(StopRequest(sessionId: "alice-t-0000000a"))
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}
