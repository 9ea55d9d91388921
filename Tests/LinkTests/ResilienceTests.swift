@testable import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// The link heals itself: outages, restarts, abrupt closes, the server's fresh-connection race.
@Suite(.serialized) struct ResilienceTests {
    @Test func reconnectsAfterAnAbruptCloseAndTheServersFreshConnectionRace() async throws {
        let harness = try await LinkHarness(configure: { $0.closeFreshConnections = 2 })
        harness.startAgent()
        let id = harness.agentID
        // The first two connections are closed right after opening; the agent keeps trying.
        try await harness.waitFor("a connection that stays") { ($0.agent(id)?.connections ?? 0) >= 3 && $0.agent(id)?.connected == true }
        try await harness.controlPlane.disconnect(agentId: id)
        try await harness.waitFor("reconnected after an abrupt close") { ($0.agent(id)?.connections ?? 0) >= 4 && $0.agent(id)?.connected == true }
        #expect((await harness.controlPlane.state.agent(id)?.registrations ?? 0) >= 4, "re-registers before each dial")
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    /// A connection that goes silent without a close or a reset (packets dropped on the path) is
    /// found by the agent's own pings and replaced, long before any TCP timeout.
    @Test func aSilentConnectionIsDeclaredDeadAndReplaced() async throws {
        let proxy = try await StallingProxy.start()
        let harness = try await LinkHarness(configureLink: { link in
            proxy.targetPort = Int(link.controlPlaneURL.split(separator: ":").last!)!
            link.controlPlaneURL = "ws://127.0.0.1:\(proxy.port)"
            link.pingInterval = .milliseconds(300)
        })
        harness.startAgent()
        try await harness.waitUntilConnected()
        let id = harness.agentID
        let before = await harness.controlPlane.state.agent(id)?.connections ?? 0
        let stalled = ContinuousClock.now
        proxy.stall()
        try await harness.waitFor("a new connection") { ($0.agent(id)?.connections ?? 0) > before && $0.agent(id)?.connected == true }
        let replacedAfter = ContinuousClock.now - stalled
        #expect(harness.logs.all.contains { $0.contains("no pong from the Control Plane") && $0.contains("declared dead") })
        // Two ping intervals to notice, plus the backoff (≤ 0.5 s here) and the dial.
        #expect(replacedAfter < .seconds(3), "replaced after \(replacedAfter)")
        await harness.expectNothingRejected()
        await harness.shutdown()
        await proxy.stop()
    }

    /// The agent answers the server's pings: with pings every 200 ms and a 1 s pong timeout on
    /// the server, its one connection stays up.
    @Test func theAgentAnswersTheServersPings() async throws {
        let harness = try await LinkHarness.connected(configure: { $0.pingInterval = .milliseconds(200); $0.pongTimeout = .seconds(1) })
        try await Task.sleep(for: .seconds(3))
        let agent = await harness.controlPlane.state.agent(harness.agentID)
        #expect(agent?.connections == 1 && agent?.connected == true, "\(agent?.lastDisconnectReason ?? "")")
        await harness.shutdown()
    }

    /// A stopping agent says so with a close frame (1001, going away) before the socket closes,
    /// and does not wait long for the server's answer.
    @Test func aStoppingAgentClosesWithGoingAway() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let stopping = ContinuousClock.now
        await harness.stopAgent()
        #expect(ContinuousClock.now - stopping < .seconds(3))
        try await harness.waitFor("the close frame") { $0.agent(id)?.lastDisconnectReason?.contains("closed by the agent (code 1001)") == true }
        await harness.shutdown()
    }

    /// The Control Plane refusing the WebSocket upgrade itself (here: a wrong key) is named by
    /// its HTTP status, not as a generic failure.
    @Test func aRefusedUpgradeNamesItsStatus() async throws {
        let harness = try await LinkHarness.connected()
        let url = harness.endpoints.connectURL(agentId: harness.agentID)
        let wrongKey = [(Registration.apiKeyHeader, String(repeating: "0", count: 64))]
        let error = await #expect(throws: WebSocketDialer.DialError.self) {
            _ = try await WebSocketDialer.connect(url: url, headers: wrongKey, tls: nil, maxFrameBytes: 1 << 16, maxMessageBytes: 1 << 16)
        }
        #expect(error.map { "\($0)" } == "the Control Plane answered the WebSocket upgrade with HTTP 401 Unauthorized")
        await harness.shutdown()
    }

    /// Sessions keep running through an outage; after reconnecting the agent reports the true
    /// state of every session, including changes made while it was away.
    @Test func reportsTheTrueStateAfterTheControlPlaneRestarts() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let first = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "alice", template: "firefox"))
        let second = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "bob", template: "firefox"))
        _ = try await harness.waitForCommand(first.commandId, .completed)
        _ = try await harness.waitForCommand(second.commandId, .completed)

        let port = harness.endpoints.agentPort
        await harness.controlPlane.stop()
        // While the Control Plane is away: one session hibernated by hand on the platform.
        _ = try await harness.driver.hibernate(second.sessionId)
        #expect(try await harness.driver.session(first.sessionId).state == .running, "sessions keep running")

        var configuration = DevControlPlaneConfiguration.forTesting(apiKey: harness.apiKey)
        configuration.port = port
        configuration.autoApprove = true
        let restarted = DevControlPlane(configuration: configuration)
        _ = try await restarted.start()
        let state = try await restarted.waitFor("both sessions reported", timeout: .seconds(30)) {
            $0.session(first.sessionId)?.state == "running" && $0.session(second.sessionId)?.state == "hibernated"
        }
        #expect(state.session(first.sessionId)?.viewable == true)
        #expect(state.rejected(from: id).isEmpty)
        await restarted.stop()
        await harness.shutdown()
    }
}

@Suite(.serialized) struct CommandHandlingTests {
    @Test func aRepeatedCommandIDIsNotExecutedTwice() async throws {
        let harness = try await LinkHarness.connected()
        let sessionID = "dup-\(UInt32.random(in: 0...UInt32.max))"
        let frame = Message(type: "command", payload: .object([
            "commandId": .string("cmd-dup-\(sessionID)"), "action": .string("start_session"),
            "payload": .object(["sessionId": .string(sessionID), "user": .string("alice"), "template": .string("t"),
                                "templateManifest": .object(["spec": .object(["baseImage": .string("busybox:latest")])])]),
        ])).encoded()
        try await harness.controlPlane.sendRaw(frame: frame, to: harness.agentID)
        try await harness.waitFor("started") { $0.session(sessionID)?.state == "running" }
        // Gone from the platform by hand; the same command id again must not start it anew.
        _ = try await harness.driver.stop(StopRequest(sessionId: sessionID))
        try await harness.controlPlane.sendRaw(frame: frame, to: harness.agentID)
        try await harness.waitFor("the repeated answer") { _ in harness.logs.all.contains { $0.contains("was already done") } }
        await #expect(throws: DriverError.self) { try await harness.driver.session(sessionID) }
        await harness.shutdown()
    }

    @Test func aStartForAnExistingSessionReportsIt() async throws {
        let harness = try await LinkHarness.connected()
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: harness.agentID, user: "alice", template: "firefox"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        // The server retries under a new command id: same session, reported as running.
        let again = try await harness.controlPlane.send(action: "start_session", payload: .object([
            "sessionId": .string(created.sessionId), "user": .string("alice"), "template": .string("firefox"),
            "templateManifest": .object(["spec": .object(["baseImage": .string("busybox:latest"),
                                                           "ports": .array([.object(["name": .string("vnc"), "containerPort": .int(3000)])])])]),
        ]), to: harness.agentID)
        let record = try await harness.waitForCommand(again, .completed)
        #expect(record.result?["state"] == .string("running"))
        #expect(try await harness.driver.sessions().filter { $0.sessionId == created.sessionId }.count == 1)
        // A stop for a session that is already gone reports terminated.
        _ = try await harness.driver.stop(StopRequest(sessionId: created.sessionId))
        let stop = try await harness.controlPlane.deleteSession(created.sessionId)
        _ = try await harness.waitForCommand(stop, .completed)
        #expect(await harness.controlPlane.state.session(created.sessionId)?.state == "terminated")
        await harness.shutdown()
    }

    @Test func unknownActionsMalformedPayloadsAndGarbageNeverCrashTheAgent() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let unknown = try await harness.controlPlane.send(action: "reboot_host", payload: .object([:]), to: id)
        let unknownRecord = try await harness.waitForCommand(unknown, .failed)
        #expect(unknownRecord.error?.contains("unknown action \"reboot_host\"") == true)

        let noImage = try await harness.controlPlane.send(action: "start_session", payload: .object([
            "sessionId": .string("alice-broken-00000001"), "user": .string("alice"), "template": .string("broken"),
        ]), to: id)
        let noImageRecord = try await harness.waitForCommand(noImage, .failed)
        #expect(noImageRecord.error?.contains("payload.templateManifest: expected an object (the Template CRD), but it is missing") == true,
                "\(noImageRecord.error ?? "")")
        try await harness.waitFor("a failed status for it") { $0.session("alice-broken-00000001")?.state == "failed" }

        let badID = try await harness.controlPlane.send(action: "stop_session", payload: .object(["sessionId": .string("../../etc")]), to: id)
        #expect(try await harness.waitForCommand(badID, .failed).error?.contains("session id") == true)

        try await harness.controlPlane.sendRaw(frame: "{not json at all", to: id)
        try await harness.controlPlane.sendRaw(frame: #"{"type":"command","payload":{"action":"start_session"}}"#, to: id)
        // Still connected and working.
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "carol", template: "firefox"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        #expect(await harness.controlPlane.state.agent(id)?.connections == 1)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    @Test func batchedCommandsAreAllHandled() async throws {
        let harness = try await LinkHarness(configure: {
            $0.batchOutgoing = true
            $0.batchWindow = .milliseconds(50)
        })
        harness.startAgent()
        try await harness.waitUntilConnected()
        let sessions = (0..<5).map { "batch-\($0)-\(UInt16.random(in: 0...UInt16.max))" }
        let commands = sessions.map { session in
            OutgoingCommand(action: "start_session", payload: .object([
                "sessionId": .string(session), "user": .string("u"), "template": .string("t"),
                "templateManifest": .object(["spec": .object(["baseImage": .string("busybox:latest")])]),
            ]))
        }
        let ids = try await harness.controlPlane.send(commands: commands, to: harness.agentID)
        for id in ids { _ = try await harness.waitForCommand(id, .completed) }
        await harness.shutdown()
    }

    /// Frames split into a text fragment and continuation fragments (7 bytes each here) are
    /// reassembled; combined with batching, several commands arrive in one fragmented frame.
    @Test func fragmentedAndBatchedFramesAreReassembled() async throws {
        let harness = try await LinkHarness(configure: {
            $0.fragmentBytes = 7
            $0.batchOutgoing = true
            $0.batchWindow = .milliseconds(50)
        })
        harness.startAgent()
        try await harness.waitUntilConnected()
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: harness.agentID, user: "frag", template: "firefox"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        let ids = try await harness.controlPlane.send(commands: [
            OutgoingCommand(action: "hibernate_session", payload: .object(["sessionId": .string(created.sessionId)])),
            OutgoingCommand(action: "wake_session", payload: .object(["sessionId": .string(created.sessionId)])),
        ], to: harness.agentID)
        for id in ids { _ = try await harness.waitForCommand(id, .completed) }
        #expect(await harness.controlPlane.state.session(created.sessionId)?.state == "running")
        await harness.shutdown()
    }

    /// The heartbeat's activeSessions is the real count, and the capacity the configured one.
    @Test func heartbeatsCarryTheRealSessionCount() async throws {
        let harness = try await LinkHarness.connected()
        let id = harness.agentID
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "count", template: "firefox"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        let state = try await harness.waitFor("a heartbeat counting it") { ($0.agent(id)?.activeSessions ?? 0) >= 1 }
        #expect(state.agent(id)?.heartbeatCapacity?["maxSessions"] == .int(10))
        #expect(state.agent(id)?.heartbeatCapacity?["memory"] == .string("8Gi"))
        await harness.shutdown()
    }

    /// An API key the server issues is kept (mode 0600) and used from then on.
    @Test func anIssuedAPIKeyIsKeptAndUsed() async throws {
        let stateDirectory = NSTemporaryDirectory() + "agent-state-\(UInt32.random(in: 0...UInt32.max))"
        let harness = try await LinkHarness(configure: { $0.issueAgentKeys = true },
                                            configureLink: { $0.stateDirectory = stateDirectory })
        harness.startAgent()
        try await harness.waitUntilConnected()
        let (owner, stored) = try StoredKey.read(stateDirectory + "/api-key")
        #expect(owner == harness.agentID)
        #expect(AgentIdentity.apiKeyProblem(stored) == nil && stored != harness.apiKey)
        let attributes = try FileManager.default.attributesOfItem(atPath: stateDirectory + "/api-key")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!harness.logs.all.contains { $0.contains(stored) }, "the issued key is never logged")
        await harness.shutdown()
    }

    /// A two-second start must not hold back heartbeats (one a second here).
    @Test func aSlowDriverOperationDoesNotDelayHeartbeats() async throws {
        let harness = try await LinkHarness.connected(driverConfig: #"{"startDelayMs": 4000}"#)
        let id = harness.agentID
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "slow", template: "firefox"))
        try await harness.waitFor("acked") { $0.command(created.commandId)?.state == .acked }
        let before = await harness.controlPlane.state.agent(id)?.heartbeats ?? 0
        try await Task.sleep(for: .milliseconds(2500))
        let during = await harness.controlPlane.state
        #expect(during.command(created.commandId)?.state == .acked, "the start is still running")
        #expect((during.agent(id)?.heartbeats ?? 0) >= before + 2, "heartbeats kept coming during the slow start")
        do {
            _ = try await harness.waitForCommand(created.commandId, .completed)
        } catch {
            Issue.record("\(error): \(harness.logs.all.filter { !$0.hasPrefix("trace") && !$0.contains("heartbeat") }.suffix(25))")
        }
        await harness.shutdown()
    }
}
