import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// A one-driver agent gets a second driver: the key its Control Plane issued moves to the
/// multi-driver layout, for the driver agent that keeps the old agent id.
@Suite(.serialized) struct KeyMigrationTests {
    @Test func aOneDriverKeyMovesToTheDriverAgentThatKeepsItsID() async throws {
        let setup = try await ControlPlaneForAgent(issueAgentKeys: true)
        let single = try AgentProcess(setup.arguments(["--driver", "mock"]), environment: setup.environment)
        try await setup.waitFor("the one-driver agent connected", single) { $0.agent(setup.baseID)?.connected == true }
        try await setup.stopCleanly(single, [setup.baseID])
        let (owner, issued) = try StoredKey.read("\(setup.stateDirectory)/api-key")
        #expect(owner == setup.baseID)
        // As an agent from before keys named their agent left it: the key alone.
        try (issued + "\n").write(toFile: "\(setup.stateDirectory)/api-key", atomically: false, encoding: .utf8)

        let both = try AgentProcess(setup.arguments(["--driver", "mock", "--driver", "sample",
                                                     "--driver-agent-id", "mock=\(setup.baseID)"]),
                                    environment: setup.environment)
        let sample = "\(setup.baseID)-sample"
        try await setup.waitFor("both agents connected", both) { state in
            state.agent(setup.baseID)?.connections == 2 && state.agent(sample)?.connected == true
        }
        #expect(await setup.controlPlane.state.agents.map(\.agentId).sorted() == [setup.baseID, sample])
        let moved = try StoredKey.read("\(setup.stateDirectory)/\(setup.baseID)/api-key")
        #expect(moved.agentID == setup.baseID && moved.key == issued, "the key moved with the id it was issued to")
        #expect(both.stderr.contains("took over the key agent \(setup.baseID) stored in \(setup.stateDirectory)/api-key"), "\(both.stderr)")
        // The new agent got a key of its own, never the old one.
        let own = try StoredKey.read("\(setup.stateDirectory)/\(sample)/api-key")
        #expect(own.agentID == sample && own.key != issued)
        try await setup.stopCleanly(both, [setup.baseID, sample])
        await setup.controlPlane.stop()
    }
}
