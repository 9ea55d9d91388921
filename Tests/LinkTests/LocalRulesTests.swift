@testable import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// What the host decides on its own: a local policy the Control Plane cannot override, and
/// retries of temporary driver errors only.
@Suite(.serialized) struct LocalRulesTests {
    @Test func aStartAgainstThePolicyIsRefusedAndNeverReachesTheDriver() async throws {
        let harness = try await LinkHarness.connected(configureLink: { link in
            link.policy = try! LocalPolicy.parse(Array(#"{"allowedImages": ["registry.local/*"], "maxCpuPerSession": "2"}"#.utf8))
        })
        let id = harness.agentID
        let refused = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "mallory", template: "miner", image: "docker.io/evil/miner:1"))
        let failed = try await harness.waitForCommand(refused.commandId, .failed)
        #expect(failed.error?.contains(#"refused by this host's policy: image "docker.io/evil/miner:1" is not allowed on this host (allowed: registry.local/*)"#) == true,
                "\(failed.error ?? "")")
        try await harness.waitFor("the session reported failed") { $0.session(refused.sessionId)?.state == "failed" }
        await #expect(throws: DriverError.self) { try await harness.driver.session(refused.sessionId) }
        #expect(harness.logs.all.contains { $0.contains("start_session \(refused.sessionId) refused: refused by this host's policy") })

        let tooBig = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "mallory", template: "desk", image: "registry.local/desk:1", cpu: "3"))
        #expect(try await harness.waitForCommand(tooBig.commandId, .failed).error?.contains("cpu 3 is over this host's limit of 2000m per session") == true)
        await #expect(throws: DriverError.self) { try await harness.driver.session(tooBig.sessionId) }

        let allowed = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "alice", template: "desk", image: "registry.local/desk:1"))
        _ = try await harness.waitForCommand(allowed.commandId, .completed)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    /// The policy's maxSessions counts every session the process runs; a repeated start of a
    /// running session is not counted again, and a stop frees the slot.
    @Test func thePolicysMaxSessionsHoldsWithOneDriver() async throws {
        let harness = try await LinkHarness.connected(configureLink: { link in
            link.policy.maxSessions = 1
            link.hostCapacity = HostCapacity.limit(host: nil, policySessions: link.policy.maxSessions)
        })
        let id = harness.agentID
        let first = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "alice", template: "firefox"))
        _ = try await harness.waitForCommand(first.commandId, .completed)
        let second = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "bob", template: "firefox"))
        let refused = try await harness.waitForCommand(second.commandId, .failed)
        #expect(refused.error?.contains("1 session already run on this host (mock 1), and the local policy's maxSessions is 1") == true, "\(refused.error ?? "")")
        await #expect(throws: DriverError.self) { try await harness.driver.session(second.sessionId) }
        // The same start again: the session runs already, nothing more is counted.
        let again = try await harness.controlPlane.send(action: "start_session", payload: try #require(await harness.controlPlane.state.command(first.commandId)?.payload), to: id)
        _ = try await harness.waitForCommand(again, .completed)
        let stop = try await harness.controlPlane.deleteSession(first.sessionId)
        _ = try await harness.waitForCommand(stop, .completed)
        let third = try await harness.controlPlane.createSession(SessionRequest(agentId: id, user: "carol", template: "firefox"))
        _ = try await harness.waitForCommand(third.commandId, .completed)
        await harness.shutdown()
    }

    /// UNAVAILABLE says the same call may pass soon: tried again, twice here. A permanent error
    /// (FAILED_PRECONDITION) is final at once.
    @Test(arguments: [("UNAVAILABLE", 2), ("FAILED_PRECONDITION", 0), ("INVALID_ARGUMENT", 0), ("NOT_FOUND", 0)])
    func onlyTemporaryErrorsAreTriedAgain(_ code: String, _ retries: Int) async throws {
        let harness = try await LinkHarness.connected(driverConfig: #"{"fail": {"start": "\#(code)"}}"#, configureLink: { link in
            link.transientRetries = 2
            link.transientRetryDelay = .milliseconds(20)
        })
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: harness.agentID, user: "alice", template: "firefox"))
        let failed = try await harness.waitForCommand(created.commandId, .failed)
        #expect(failed.error?.contains("\(code): mock: injected failure for start") == true, "\(failed.error ?? "")")
        let tries = harness.logs.all.filter { $0.contains("start_session \(created.sessionId): \(code)") && $0.contains("trying again") }
        #expect(tries.count == retries, "\(tries)")
        await harness.shutdown()
    }
}
