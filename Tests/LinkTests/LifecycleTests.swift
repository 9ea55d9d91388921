import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// The agent against the dev control plane (as strict as the real server) with the mock driver.
@Suite(.serialized) struct LifecycleTests {
    @Test func aSessionThroughItsWholeLife() async throws {
        let harness = try await LinkHarness.connected()
        let agentID = harness.agentID

        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: agentID, user: "alice", template: "firefox"))
        let start = try await harness.waitForCommand(created.commandId, .completed)
        #expect(start.result?["state"] == .string("running"))
        let running = try await harness.waitFor("session viewable") { $0.session(created.sessionId)?.viewable == true }
        let session = try #require(running.session(created.sessionId))
        #expect(session.state == "running" && session.vncReady && session.vncPort > 0)
        #expect(session.platformMetadata?["workloadName"] == .string("mock-\(created.sessionId)"))

        let hibernate = try await harness.controlPlane.hibernate(sessionId: created.sessionId)
        _ = try await harness.waitForCommand(hibernate, .completed)
        #expect(await harness.controlPlane.state.session(created.sessionId)?.state == "hibernated")
        #expect(try await harness.driver.session(created.sessionId).state == .hibernated)

        let wake = try await harness.controlPlane.wake(sessionId: created.sessionId)
        _ = try await harness.waitForCommand(wake, .completed)
        #expect(await harness.controlPlane.state.session(created.sessionId)?.state == "running")

        let stop = try await harness.controlPlane.deleteSession(created.sessionId)
        _ = try await harness.waitForCommand(stop, .completed)
        #expect(await harness.controlPlane.state.session(created.sessionId)?.state == "terminated")
        await #expect(throws: DriverError.self) { try await harness.driver.session(created.sessionId) }

        // Every message: acked, typed as the server's Go structs demand, and heartbeats flowing.
        let state = await harness.controlPlane.state
        #expect(state.commands.filter { $0.agentId == agentID }.allSatisfy { $0.state == .completed })
        #expect((state.agent(agentID)?.heartbeats ?? 0) >= 1)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    @Test func pendingUntilApprovedThenConnects() async throws {
        let harness = try await LinkHarness(configure: { $0.autoApprove = false })
        harness.startAgent()
        let id = harness.agentID
        try await harness.waitFor("agent registered and pending") { $0.agent(id)?.approvalStatus == .pending }
        // Still pending after a few retries: it asks again, never connects.
        try await harness.waitFor("registration retried") { ($0.agent(id)?.registrations ?? 0) >= 3 }
        // Between tries it waits as pending (during a try it is registering: the server may
        // count a try before the agent has read its answer).
        var sawPending = false
        for _ in 0..<200 where !sawPending {
            sawPending = harness.link.state == .pendingApproval
            if !sawPending { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(sawPending, "the agent's state: \(harness.link.state)")
        #expect(await harness.controlPlane.state.agent(id)?.connected == false)
        _ = try await harness.controlPlane.approve(agentId: id)
        try await harness.waitUntilConnected()
        #expect(harness.logs.all.contains { $0.contains("registration pending") })
        await harness.shutdown()
    }

    @Test func aRejectedAgentStopsWithAClearError() async throws {
        let harness = try await LinkHarness(configure: { $0.autoApprove = false })
        harness.startAgent()
        let id = harness.agentID
        try await harness.waitFor("agent pending") { $0.agent(id)?.approvalStatus == .pending }
        _ = try await harness.controlPlane.reject(agentId: id)
        let outcome = await harness.agentOutcome()
        guard case .failure(let error as LinkError)? = outcome else {
            Issue.record("expected the link to stop with LinkError.refused, got \(String(describing: outcome))")
            await harness.shutdown()
            return
        }
        #expect(error.description.contains("rejected agent \(id)"))
        await harness.shutdown()
    }

    @Test func aWrongKeyGivesAClearErrorAndIsNeverLogged() async throws {
        let wrongKey = String(repeating: "ab", count: 32)
        let harness = try await LinkHarness(configureLink: { $0.apiKey = wrongKey })
        harness.startAgent()
        let outcome = await harness.agentOutcome()
        guard case .failure(let error as LinkError)? = outcome else {
            Issue.record("expected LinkError.refused, got \(String(describing: outcome))")
            await harness.shutdown()
            return
        }
        #expect(error.description.contains("refused the API key"))
        #expect(!error.description.contains(wrongKey))
        await harness.shutdown()
        let leaks = harness.logs.all.filter { $0.contains(wrongKey) || $0.contains(harness.apiKey) }
        #expect(leaks.isEmpty, "an API key reached the log: \(leaks)")
    }

    @Test func theAPIKeyNeverAppearsInAnyLogLine() async throws {
        let harness = try await LinkHarness.connected()
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: harness.agentID, user: "bob", template: "xterm"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        try await harness.controlPlane.disconnect(agentId: harness.agentID)
        try await harness.waitFor("reconnected") { ($0.agent(harness.agentID)?.connections ?? 0) >= 2 }
        await harness.shutdown()
        #expect(harness.logs.all.count > 10)
        let leaks = harness.logs.all.filter { $0.contains(harness.apiKey) }
        #expect(leaks.isEmpty, "the API key reached the log: \(leaks)")
    }
}
