import AgentHost
import AgentTestSupport
import DevControlPlane
import Foundation
import Testing

/// The agent's own observability: Prometheus metrics, /healthz and /readyz on --metrics-listen.
@Suite(.serialized) struct ObservabilityTests {
    @Test func metricsHealthAndReadinessDescribeTheAgent() async throws {
        let setup = try await ControlPlaneForAgent()
        let port = Int.random(in: 30000...60000)
        let agent = try AgentProcess(setup.arguments(["--driver", "mock", "--metrics-listen", "127.0.0.1:\(port)"]),
                                     environment: setup.environment)
        let base = "http://127.0.0.1:\(port)"
        #expect(try await Probes.fetch(base + "/healthz") == "ok\n")
        try await setup.waitFor("connected", agent) { $0.agent(setup.baseID)?.connected == true }
        #expect(try await Probes.fetch(base + "/readyz").hasPrefix("ready"))

        let created = try await setup.controlPlane.createSession(SessionRequest(agentId: setup.baseID, user: "alice", template: "t"))
        #expect(try await setup.waitForCommand(created.commandId).state == .completed)
        let metrics = try await Probes.fetch(base + "/metrics")
        let agentLabel = "agent=\"\(setup.baseID)\""
        for line in [
            "streamspace_agent_link_connected{\(agentLabel)} 1",
            "streamspace_agent_link_state{\(agentLabel),state=\"connected\"} 1",
            "streamspace_agent_connections_total{\(agentLabel)} 1",
            "streamspace_agent_command_duration_seconds_count{\(agentLabel),action=\"start_session\",outcome=\"completed\"} 1",
            "streamspace_agent_sessions{\(agentLabel),state=\"running\"} 1",
            "streamspace_agent_log_streams{\(agentLabel)} 0",
        ] {
            #expect(metrics.contains(line + "\n"), "missing: \(line)")
        }
        #expect(metrics.contains("streamspace_agent_driver_call_duration_seconds_count{driver=\"mock\",operation=\"start\"} "))
        #expect(metrics.contains("# TYPE streamspace_agent_command_duration_seconds histogram"))
        #expect(!metrics.contains(setup.apiKey), "the API key is not a metric")

        // The Control Plane goes away: not ready, still alive.
        await setup.controlPlane.stop()
        var ready = true
        for _ in 0..<100 where ready {
            try await Task.sleep(for: .milliseconds(100))
            ready = (try? await Probes.fetch(base + "/readyz", attempts: 1)) != nil
        }
        #expect(!ready, "/readyz answers 503 while the link is down")
        #expect(try await Probes.fetch(base + "/healthz") == "ok\n")
        agent.terminate()
        #expect(await agent.exitStatus() == 0)
    }

    @Test func jsonLogsAreOneObjectPerLineWithoutSecrets() async throws {
        let setup = try await ControlPlaneForAgent()
        let agent = try AgentProcess(setup.arguments(["--driver", "mock", "--log-format", "json"]), environment: setup.environment)
        try await setup.waitFor("connected", agent) { $0.agent(setup.baseID)?.connected == true }
        agent.terminate()
        #expect(await agent.exitStatus() == 0)
        let lines = agent.stderr.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["time"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("connected to the Control Plane") && $0.contains("\"agent\":\"\(setup.baseID)\"") })
        #expect(!agent.stderr.contains(setup.apiKey))
        await setup.controlPlane.stop()
    }

    @Test func aMetricsAddressThatIsNotHostPortIsOneLine() async throws {
        let setup = try await ControlPlaneForAgent()
        let agent = try AgentProcess(setup.arguments(["--driver", "mock", "--metrics-listen", "9464"]), environment: setup.environment)
        #expect(await agent.exitStatus() == 2)
        #expect(agent.stderr.contains("--metrics-listen \"9464\" is not HOST:PORT"), "\(agent.stderr)")
        await setup.controlPlane.stop()
    }
}
