import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import Foundation
import Testing

/// Texts from outside the agent — a server's body, a close reason, a driver's message — lose
/// the agent's secrets before they are logged or sent.
@Suite(.serialized) struct RedactionTests {
    @Test func aRegistrationBodyEchoingTheKeyIsLoggedWithoutIt() async throws {
        let key = String(repeating: "ab", count: 32)
        let server = try await MisbehavingServer.start(.answer(status: 500, body: #"{"error":"no agent holds key \#(key)"}"#))
        let harness = try await LinkHarness(configureLink: {
            $0.controlPlaneURL = server.webSocketURL
            $0.apiKey = key
        })
        harness.startAgent()
        try await waitForLine(harness) { $0.contains("registration answered HTTP 500") }
        await harness.shutdown()
        await server.stop()
        #expect(harness.logs.all.contains { $0.contains("registration answered HTTP 500: no agent holds key *** — the Control Plane failed; check its log; retrying in ") },
                "\(harness.logs.all.suffix(5))")
        #expect(!harness.logs.all.contains { $0.contains(key) })
    }

    @Test func aRefusalEchoingTheKeyStopsTheLinkWithoutIt() async throws {
        let key = String(repeating: "cd", count: 32)
        let server = try await MisbehavingServer.start(.answer(status: 401, body: #"{"error":"key \#(key) is revoked"}"#))
        let harness = try await LinkHarness(configureLink: {
            $0.controlPlaneURL = server.webSocketURL
            $0.apiKey = key
        })
        harness.startAgent()
        let outcome = await harness.agentOutcome()
        await harness.shutdown()
        await server.stop()
        guard case .failure(let error as LinkError)? = outcome else {
            Issue.record("the link should stop, refused: \(String(describing: outcome))")
            return
        }
        #expect(error == .refused("the Control Plane refused the API key: key *** is revoked — check --api-key (it is not shown here)"))
        #expect(!harness.logs.all.contains { $0.contains(key) })
    }

    @Test func aCloseReasonEchoingTheKeyIsLoggedWithoutIt() async throws {
        let harness = try await LinkHarness.connected()
        try await harness.controlPlane.disconnect(agentId: harness.agentID, reason: "policy: key \(harness.apiKey) is being rotated")
        try await waitForLine(harness) { $0.contains("closed by the Control Plane") }
        await harness.shutdown()
        #expect(harness.logs.all.contains {
            $0.contains("the link to the Control Plane is down: closed by the Control Plane (1000: policy: key *** is being rotated); reconnecting in ")
        }, "\(harness.logs.all.filter { $0.contains("closed by") })")
        // (The dev control plane's own lines may quote what it sent; the agent's may not.)
        #expect(!harness.logs.all.contains { $0.contains("closed by the Control Plane") && $0.contains(harness.apiKey) })
    }

    /// A key the Control Plane issues is a secret from the moment it arrives.
    @Test func aKeyTheServerIssuedIsRedactedToo() async throws {
        let directory = NSTemporaryDirectory() + "redaction-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = try await LinkHarness.connected(configure: { $0.issueAgentKeys = true },
                                                      configureLink: { $0.stateDirectory = directory })
        let issued = try StoredKey.read("\(directory)/api-key").key
        #expect(issued.count == 64 && issued != harness.apiKey)
        try await harness.controlPlane.disconnect(agentId: harness.agentID, reason: "key \(issued) is being rotated")
        try await waitForLine(harness) { $0.contains("closed by the Control Plane") }
        await harness.shutdown()
        #expect(harness.logs.all.contains { $0.contains("closed by the Control Plane (1000: key *** is being rotated)") })
        #expect(!harness.logs.all.contains { $0.contains("closed by the Control Plane") && $0.contains(issued) })
    }

    /// The real agent with a driver whose error quotes its password and the agent's key: the
    /// failed reply, the session's status and every line on stderr carry neither.
    @Test func aDriverMessageQuotingSecretsReachesNeitherTheLogNorTheControlPlane() async throws {
        let setup = try await ControlPlaneForAgent()
        let password = "vc-pa55word-77"
        let config = #"{"password": "\#(password)", "startError": "vcenter refused admin:\#(password) (agent key \#(setup.apiKey))"}"#
        let agent = try AgentProcess(setup.arguments(["--driver", "twin", "--driver-config", config]), environment: setup.environment)
        try await setup.waitFor("connected", agent) { $0.agent(setup.baseID)?.connected == true }
        let created = try await setup.controlPlane.createSession(SessionRequest(agentId: setup.baseID, user: "alice", template: "t"))
        let command = try await setup.waitForCommand(created.commandId)
        #expect(command.state == .failed)
        let error = command.error ?? ""
        #expect(error.contains("vcenter refused admin:*** (agent key ***)"), "\(error)")
        // The status (sent before the verdict) told the session's failure, with the message.
        let state = await setup.controlPlane.state
        let reported = state.session(created.sessionId)?.platformMetadata?["message"]?.stringValue ?? ""
        #expect(reported.contains("vcenter refused admin:*** (agent key ***)"), "\(String(describing: state.session(created.sessionId)))")
        let everything = "\(state)"
        agent.terminate()
        #expect(await agent.exitStatus() == 0)
        for secret in [password, setup.apiKey] {
            #expect(!everything.contains(secret), "the Control Plane received a secret")
            #expect(!agent.stderr.contains(secret), "\(agent.stderr)")
        }
        #expect(agent.stderr.contains("twin: start \(created.sessionId) failed: vcenter refused admin:***"), "the driver's own line, redacted: \(agent.stderr)")
        await setup.controlPlane.stop()
    }

    /// `driver-check`'s report quotes the driver's messages: not its credentials.
    @Test func aConformanceReportKeepsTheDriversPasswordOut() throws {
        let password = "kit-pa55word-9"
        let config = #"{"password": "\#(password)", "startError": "login as root/\#(password) refused"}"#
        let result = try ProcessRunner.run(AgentProcess.binary, ["driver-check", "--driver", "twin", "--driver-config", config],
                                           environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status != 0, "a driver whose starts fail fails the kit")
        #expect(result.stdout.contains("login as root/*** refused"), "\(result.stdout.prefix(2000))")
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
    }

    @Test func aConfigurationNeverShowsItsKey() {
        let key = String(repeating: "ef", count: 32)
        let configuration = LinkConfiguration(controlPlaneURL: "wss://cp.example", agentID: "a-1", apiKey: key, platform: "docker",
                                              region: "eu", capacity: .init(maxSessions: 1, cpu: "1", memory: "1Gi"))
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [String(describing: configuration), String(reflecting: configuration), "\(configuration)", dumped] {
            #expect(!text.contains(key) && text.contains("a-1"), "\(text)")
        }
    }

    func waitForLine(_ harness: LinkHarness, _ predicate: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if harness.logs.all.contains(where: predicate) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("no such line; the log: \(harness.logs.all.suffix(10))")
    }
}
