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
