import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging
import Testing

/// One `agent` process, several drivers: the real binary, each driver its own agent (id,
/// platform, connection, stored key) against a dev control plane in this process.
@Suite(.serialized) struct MultiDriverTests {
    @Test func twoDriversAreTwoAgentsInOneProcess() async throws {
        let setup = try await ControlPlaneForAgent()
        let agent = try AgentProcess(setup.arguments(["--driver", "mock", "--driver", "sample"]), environment: setup.environment)
        let agents = [(id: "\(setup.baseID)-mock", driver: "mock"), (id: "\(setup.baseID)-sample", driver: "sample")]
        try await setup.waitFor("both agents connected, heartbeats flowing", agent) { state in
            agents.allSatisfy { state.agent($0.id)?.connected == true && (state.agent($0.id)?.heartbeats ?? 0) >= 1 }
        }
        let state = await setup.controlPlane.state
        #expect(state.agents.map(\.agentId).sorted() == agents.map(\.id), "no agent under the bare --agent-id, nor any other")
        for agent in agents {
            let record = try #require(state.agent(agent.id))
            #expect(record.platform == "docker")
            #expect(record.metadata["driver"] == .string(agent.driver))
            #expect(record.connections == 1, "its own connection, opened once")
        }

        // A session on each agent runs on that agent's driver.
        for agent in agents {
            let created = try await setup.controlPlane.createSession(SessionRequest(agentId: agent.id, user: "alice", template: "firefox"))
            let command = try await setup.waitForCommand(created.commandId)
            #expect(command.state == .completed, "\(agent.driver): \(command.error ?? "")")
            let session = try await setup.waitFor("session on \(agent.driver) viewable") { $0.session(created.sessionId)?.viewable == true }
                .session(created.sessionId)
            #expect(session?.agentId == agent.id)
            #expect(session?.platformMetadata?["workloadName"] == .string("\(agent.driver)-\(created.sessionId)"))
        }

        try await setup.stopCleanly(agent, agents.map(\.id))
        await setup.controlPlane.stop()
    }

    /// Per-driver config and agent id, by the --driver value as written and by the described
    /// name (a driver given by path); each registers with its own platform; each keeps the key
    /// the server issued it in its own file, and uses it again after a restart.
    @Test func eachDriverHasItsOwnConfigAgentIDPlatformAndKey() async throws {
        let setup = try await ControlPlaneForAgent(issueAgentKeys: true)
        let cloudID = "\(setup.baseID)-cloudy"
        let arguments = setup.arguments([
            "--driver", "mock", "--driver", "\(AgentProcess.buildDirectory)/libsample.so", "--driver", "twin",
            "--driver-config", #"mock={"publicHost":"mock.test"}"#,
            "--driver-config", #"sample={"publicHost":"sample.test"}"#,
            "--driver-agent-id", "twin=\(cloudID)",
        ])
        let agents = [(id: "\(setup.baseID)-mock", platform: "docker", host: "mock.test"),
                      (id: "\(setup.baseID)-sample", platform: "docker", host: "sample.test"),
                      (id: cloudID, platform: "cloud", host: nil)]
        var agent = try AgentProcess(arguments, environment: setup.environment)
        try await setup.waitFor("three agents connected", agent) { state in agents.allSatisfy { state.agent($0.id)?.connected == true } }
        let state = await setup.controlPlane.state
        #expect(state.agents.count == 3)
        for expected in agents {
            #expect(state.agent(expected.id)?.platform == expected.platform)
            #expect(state.agent(expected.id)?.hasIssuedKey == true)
            let created = try await setup.controlPlane.createSession(SessionRequest(agentId: expected.id, user: "bob", template: "xterm"))
            let command = try await setup.waitForCommand(created.commandId)
            #expect(command.state == .completed, "\(expected.id): \(command.error ?? "")")
            if let host = expected.host {
                let url = await setup.controlPlane.state.session(created.sessionId)?.url
                #expect(url?.hasPrefix("http://\(host):") == true, "\(expected.id)'s config reached its driver: \(url ?? "no url")")
            }
        }

        // Each agent's issued key in a folder of its own, mode 0600; none in the state dir itself.
        var keys: Set<String> = []
        for expected in agents {
            let path = "\(setup.stateDirectory)/\(expected.id)/api-key"
            let (owner, key) = try StoredKey.read(path)
            #expect(owner == expected.id, "the file names the agent the key was issued to")
            #expect(AgentIdentity.apiKeyProblem(key) == nil && key != setup.apiKey)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            keys.insert(key)
        }
        #expect(keys.count == 3, "each agent its own key")
        #expect(!FileManager.default.fileExists(atPath: "\(setup.stateDirectory)/api-key"))
        try await setup.stopCleanly(agent, agents.map(\.id))

        // Restarted with a bootstrap key the server does not know: only each agent's own stored
        // key gets it in (a shared or overwritten key file would be refused for one of them).
        let unknownKey = String((0..<64).map { _ in "0123456789abcdef".randomElement()! })
        agent = try AgentProcess(arguments, environment: ["AGENT_API_KEY": unknownKey])
        try await setup.waitFor("three agents reconnected with their stored keys", agent) { state in
            agents.allSatisfy { state.agent($0.id)?.connected == true && (state.agent($0.id)?.connections ?? 0) >= 2 }
        }
        try await setup.stopCleanly(agent, agents.map(\.id))
        await setup.controlPlane.stop()
    }

    /// One driver: the agent id is exactly --agent-id, --platform and the plain --driver-config
    /// form work as they always have, the key file is the state dir's own.
    @Test func oneDriverIsUnchanged() async throws {
        let setup = try await ControlPlaneForAgent(issueAgentKeys: true)
        let agent = try AgentProcess(setup.arguments(["--driver", "sample", "--platform", "vm",
                                                      "--driver-config", #"{"publicHost":"single.test"}"#]),
                                     environment: setup.environment)
        try await setup.waitFor("agent connected", agent) { $0.agent(setup.baseID)?.connected == true }
        let state = await setup.controlPlane.state
        #expect(state.agents.map(\.agentId) == [setup.baseID])
        #expect(state.agent(setup.baseID)?.platform == "vm")
        let created = try await setup.controlPlane.createSession(SessionRequest(agentId: setup.baseID, user: "carol", template: "xterm"))
        #expect(try await setup.waitForCommand(created.commandId).state == .completed)
        #expect(await setup.controlPlane.state.session(created.sessionId)?.url?.hasPrefix("http://single.test:") == true)
        #expect(FileManager.default.fileExists(atPath: "\(setup.stateDirectory)/api-key"))
        try await setup.stopCleanly(agent, [setup.baseID])
        await setup.controlPlane.stop()
    }

    /// What cannot work stops the agent before anything connects: one line each, exit status 2.
    @Test(arguments: [
        (["--driver", "mock", "--driver", "mock"], "--driver mock is given twice"),
        (["--driver", "mock", "--driver", "sample", "--driver-config", "lxd={}"], "--driver-config lxd=…: no loaded driver is named lxd (loaded: mock, sample)"),
        (["--driver", "mock", "--driver", "sample", "--driver-agent-id", "lxd=host-lxd"], "--driver-agent-id lxd=host-lxd: no loaded driver is named lxd"),
        (["--driver", "mock", "--driver", "sample", "--driver-agent-id", "mock=same-id", "--driver-agent-id", "sample=same-id"],
         "agent id same-id would be used by drivers mock and sample"),
        (["--driver", "mock", "--driver", "sample", "--driver-agent-id", "sample=host-1-mock"], "agent id host-1-mock would be used by drivers mock and sample"),
        (["--driver", "mock", "--driver", "BUILD/libmock.so"], "are both named mock"),
        (["--driver", "mock", "--driver", "sample", "--platform", "docker"], "--platform docker cannot apply to several drivers"),
        (["--driver", "mock", "--driver", "sample", "--driver-config", "{}"], "with several drivers, say which driver it is for"),
        (["--driver", "mock", "--driver", "sample", "--driver-config", "mock={}", "--driver-config", "mock={}"], "--driver-config mock=… is given twice"),
        (["--driver", "mock", "--driver-agent-id", "mock=other-id"], "--driver-agent-id is for several drivers"),
    ])
    func aWrongCombinationIsOneLineAndExitStatus2(arguments: [String], message: String) async throws {
        let arguments = arguments.map { $0.replacingOccurrences(of: "BUILD", with: AgentProcess.buildDirectory) }
        // Nothing listens on port 1: were the arguments taken, the agent would retry forever.
        let agent = try AgentProcess(["run", "--control-plane-url", "ws://127.0.0.1:1", "--agent-id", "host-1"] + arguments,
                                     environment: ["AGENT_API_KEY": String(repeating: "ab", count: 32)])
        let status = await agent.exitStatus(within: .seconds(15))
        #expect(status == 2, "exit status \(status.map(String.init) ?? "none: still running"); stderr: \(agent.stderr)")
        let lines = agent.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("agent: error: ") && lines[0].contains(message), "stderr: \(agent.stderr)")
    }

    /// The commands that load one driver refuse a second instead of silently taking the last.
    @Test(arguments: ["driver-info", "driver-check", "demo"])
    func oneDriverCommandsRefuseTwo(command: String) async throws {
        let agent = try AgentProcess([command, "--driver", "mock", "--driver", "sample"])
        let status = await agent.exitStatus(within: .seconds(30))
        #expect(status == 2, "stderr: \(agent.stderr)")
        #expect(agent.stderr == "agent: error: --driver is given 2 times (mock, sample): this command loads one driver; only `agent run` loads several\n")
    }
}

/// A dev control plane for the real agent binary, and the arguments that point it there.
struct ControlPlaneForAgent {
    let controlPlane: DevControlPlane
    let endpoints: DevControlPlaneEndpoints
    let apiKey: String
    let baseID = "host-\(UInt32.random(in: 0...UInt32.max))"
    let stateDirectory = NSTemporaryDirectory() + "agent-state-\(UUID().uuidString)"

    init(issueAgentKeys: Bool = false) async throws {
        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = true
        configuration.issueAgentKeys = issueAgentKeys
        apiKey = configuration.apiKey
        var logger = Logger(label: "dev-control-plane")
        logger.logLevel = .critical
        controlPlane = DevControlPlane(configuration: configuration, logger: logger)
        endpoints = try await controlPlane.start()
    }

    /// The key travels in the environment, as an operator should pass it (not in argv).
    var environment: [String: String] { ["AGENT_API_KEY": apiKey] }

    func arguments(_ drivers: [String]) -> [String] {
        ["run", "--control-plane-url", endpoints.agentURL, "--agent-id", baseID, "--region", "test",
         "--max-cpu", "4", "--max-memory", "8Gi", "--heartbeat-interval", "1", "--state-dir", stateDirectory,
         "--log-level", "info"] + drivers
    }

    @discardableResult
    func waitFor(_ what: String, _ agent: AgentProcess? = nil, timeout: Duration = .seconds(30),
                 _ predicate: @escaping @Sendable (DevControlPlaneState) -> Bool) async throws -> DevControlPlaneState {
        do {
            return try await controlPlane.waitFor(what, timeout: timeout, predicate)
        } catch {
            Issue.record("\(what): \(error); the agent \(agent?.isRunning == false ? "exited" : "runs"); its stderr:\n\(agent?.stderr ?? "")")
            throw error
        }
    }

    func waitForCommand(_ id: String) async throws -> CommandRecord {
        try await waitFor("command \(id) done") { state in
            let command = state.command(id)
            return command?.state == .completed || command?.state == .failed
        }.command(id)!
    }

    /// SIGTERM (the control plane stays up): the process exits 0, every agent's connection closes, nothing logged at error
    /// level, no key in the log, no message dropped for strictness.
    func stopCleanly(_ agent: AgentProcess, _ ids: [String]) async throws {
        agent.terminate()
        let status = await agent.exitStatus()
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running"); stderr: \(agent.stderr)")
        try await waitFor("every agent disconnected") { state in ids.allSatisfy { state.agent($0)?.connected == false } }
        let lines = agent.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains("connected to the Control Plane") }, "stderr: \(agent.stderr)")
        let bad = lines.filter { line in
            let level = line.split(separator: " ").dropFirst().first
            return level == "error" || level == "critical"
        }
        #expect(bad.isEmpty, "logged at error level: \(bad)")
        #expect(!agent.stderr.contains(apiKey), "the API key reached the log")
        let state = await controlPlane.state
        for id in ids { #expect(state.rejected(from: id).isEmpty, "dropped from \(id): \(state.rejected(from: id))") }
    }
}
