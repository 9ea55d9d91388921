import AgentHost
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// Two drivers on one host (the real binary, mock and sample): each agent reports its share of
/// the host, and the host's own limit holds across both — a start beyond it fails with the
/// reason and never reaches a driver.
@Suite(.serialized) struct HostLimitTests {
    @Test func eachDriverReportsItsShareAndTheHostLimitRefusesAStartBeyondIt() async throws {
        let setup = try await ControlPlaneForAgent()
        let agent = try AgentProcess(setup.arguments(["--driver", "mock", "--driver", "sample", "--max-sessions", "3",
                                                      "--driver-max-sessions", "mock=2", "--driver-max-memory", "sample=2Gi"]),
                                     environment: setup.environment)
        let mock = "\(setup.baseID)-mock", sample = "\(setup.baseID)-sample"
        let state = try await setup.waitFor("both agents heartbeating", agent) { state in
            [mock, sample].allSatisfy { (state.agent($0)?.heartbeats ?? 0) >= 1 }
        }
        // --max-cpu 4, --max-memory 8Gi, --max-sessions 3 shared: given figures, the rest evenly.
        let expected: [String: (sessions: Int64, cpu: String, memory: String)] = [mock: (2, "2", "6Gi"), sample: (1, "2", "2Gi")]
        for (id, figures) in expected {
            for capacity in [state.agent(id)?.capacity, state.agent(id)?.heartbeatCapacity] {
                #expect(capacity?["maxSessions"] == .int(figures.sessions), "\(id): \(capacity.map { "\($0)" } ?? "none")")
                #expect(capacity?["cpu"] == .string(figures.cpu), "\(id)")
                #expect(capacity?["memory"] == .string(figures.memory), "\(id)")
            }
        }

        // The Control Plane is free to ask for more than a share (it may not count the others'):
        // the host's three slots hold all the same.
        var started: [String] = []
        for id in [mock, sample, sample] {
            let created = try await setup.controlPlane.createSession(SessionRequest(agentId: id, user: "alice", template: "firefox"))
            #expect(try await setup.waitForCommand(created.commandId).state == .completed, "\(id)")
            started.append(created.sessionId)
        }
        let refused = try await setup.controlPlane.createSession(SessionRequest(agentId: mock, user: "alice", template: "firefox"))
        let record = try await setup.waitForCommand(refused.commandId)
        #expect(record.state == .failed)
        #expect(record.error?.contains("host limit: 3 sessions already run on this host (mock 1, sample 2), and --max-sessions is 3") == true,
                "\(record.error ?? "")")
        // Had the start reached the mock driver, it would run there: it is failed instead.
        try await setup.waitFor("the refused session reported failed") { $0.session(refused.sessionId)?.state == "failed" }

        // A stop frees a slot: the next start runs.
        let stop = try await setup.controlPlane.deleteSession(started[1])
        #expect(try await setup.waitForCommand(stop).state == .completed)
        let next = try await setup.controlPlane.createSession(SessionRequest(agentId: mock, user: "alice", template: "firefox"))
        #expect(try await setup.waitForCommand(next.commandId).state == .completed)

        try await setup.stopCleanly(agent, [mock, sample])
        await setup.controlPlane.stop()
    }

    /// Shares that add up to more than the host are refused at start-up, one line each.
    @Test(arguments: [
        (["--max-sessions", "4", "--driver-max-sessions", "mock=3", "--driver-max-sessions", "sample=2"],
         "--driver-max-sessions: the drivers' own figures add up to 5 (mock 3, sample 2), more than this host's 4 (--max-sessions)"),
        (["--max-cpu", "2", "--driver-max-cpu", "mock=2"], "--max-cpu 2 leaves no share for driver sample"),
        (["--driver-max-memory", "lxd=1Gi"], "--driver-max-memory lxd=1Gi: no loaded driver is named lxd (loaded: mock, sample)"),
        (["--driver-max-sessions", "mock=many"], "--driver-max-sessions mock=many: not a whole number of sessions"),
    ])
    func sharesBeyondTheHostAreRefused(arguments: [String], message: String) async throws {
        let agent = try AgentProcess(["run", "--control-plane-url", "ws://127.0.0.1:1", "--agent-id", "host-1",
                                      "--driver", "mock", "--driver", "sample", "--max-memory", "8Gi"] + arguments,
                                     environment: ["AGENT_API_KEY": String(repeating: "ab", count: 32)])
        let status = await agent.exitStatus(within: .seconds(15))
        #expect(status == 2, "exit status \(status.map(String.init) ?? "none: still running"); stderr: \(agent.stderr)")
        #expect(agent.stderr.contains(message), "stderr: \(agent.stderr)")
    }

    @Test func oneDriverTakesNoDriverShare() async throws {
        let agent = try AgentProcess(["run", "--control-plane-url", "ws://127.0.0.1:1", "--agent-id", "host-1",
                                      "--driver", "mock", "--driver-max-sessions", "mock=2"],
                                     environment: ["AGENT_API_KEY": String(repeating: "ab", count: 32)])
        #expect(await agent.exitStatus(within: .seconds(15)) == 2)
        #expect(agent.stderr.contains("--driver-max-sessions is for several drivers: with one driver, --max-sessions is its capacity"), "\(agent.stderr)")
    }
}
