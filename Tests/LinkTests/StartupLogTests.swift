import AgentTestSupport
import Foundation
import Testing

/// Under `--log-format json` every line the agent writes on stderr is one JSON object, the
/// lines that stop it included: ArgumentParser's errors, a driver that does not load, a
/// Control Plane that refuses the key. The real binary, failing to start in each way.
@Suite(.serialized) struct StartupLogTests {
    let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()

    /// Every line parsed; a line that is not a JSON object with time, level and message fails.
    func jsonLines(_ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["time"] is String && object?["level"] is String && object?["message"] is String,
                    "not a JSON log line: \(line)", sourceLocation: sourceLocation)
            return object
        }
    }

    func run(_ arguments: [String], port: Int = 1) -> [String] {
        ["run", "--log-format", "json", "--control-plane-url", "ws://127.0.0.1:\(port)", "--agent-id", "host-1"] + arguments
    }

    @Test(arguments: [["--max-sessions", "many"], ["--log-level", "loud"], ["--no-such-flag"]])
    func anArgumentErrorIsOneJSONLine(_ bad: [String]) async throws {
        let agent = try AgentProcess(run(["--driver", "mock"] + bad), environment: ["AGENT_API_KEY": key])
        #expect(await agent.exitStatus() == 64)
        let lines = jsonLines(agent.stderr)
        #expect(lines.count == 1, "\(agent.stderr)")
        let message = lines.first?["message"] as? String ?? ""
        #expect(message.contains(bad[0]) && message.contains("--help"), "names the flag and where to look: \(message)")
        #expect(lines.first?["level"] as? String == "critical")
    }

    @Test func aDriverThatIsNotThereIsOneJSONLine() async throws {
        let agent = try AgentProcess(run(["--driver", "/nonexistent/libnothing.so"]), environment: ["AGENT_API_KEY": key])
        #expect(await agent.exitStatus() == 2)
        let lines = jsonLines(agent.stderr)
        #expect(lines.count == 1, "\(agent.stderr)")
        #expect((lines.first?["message"] as? String)?.contains("/nonexistent/libnothing.so") == true, "\(agent.stderr)")
    }

    @Test func severalValidationProblemsAreOneJSONLineEach() async throws {
        let agent = try AgentProcess(["run", "--log-format", "json", "--driver", "mock", "--max-cpu", "lots"])
        #expect(await agent.exitStatus() == 2)
        let messages = jsonLines(agent.stderr).compactMap { $0["message"] as? String }
        #expect(messages.count >= 3, "\(agent.stderr)")
        #expect(messages.contains { $0.contains("--control-plane-url") } && messages.contains { $0.contains("--max-cpu") })
    }

    /// Refused connections first (the agent retries, saying so), then a Control Plane that
    /// answers 401 with a body echoing the key: JSON to the last line, and no key anywhere.
    @Test func anUnreachableControlPlaneThenARefusedKeyIsJSONThroughout() async throws {
        let port = try await MisbehavingServer.closedPort()
        let agent = try AgentProcess(run(["--driver", "mock", "--log-level", "info"], port: port), environment: ["AGENT_API_KEY": key])
        let deadline = ContinuousClock.now + .seconds(20)
        while !agent.stderr.contains("connection refused"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let server = try await MisbehavingServer.start(.answer(status: 401, body: #"{"error":"key \#(key) is not known"}"#), port: port)
        let status = await agent.exitStatus(within: .seconds(30))
        await server.stop()
        #expect(status == 1)
        let lines = jsonLines(agent.stderr)
        #expect(lines.contains { $0["level"] as? String == "warning" && ($0["message"] as? String)?.contains(": connection refused — ") == true },
                "\(agent.stderr)")
        #expect(lines.last?["level"] as? String == "critical")
        #expect((lines.last?["message"] as? String)?.contains("the Control Plane refused the API key: key *** is not known") == true, "\(agent.stderr)")
        #expect(!agent.stderr.contains(key))
    }

    @Test(arguments: ["json", "text"])
    func aForbiddenAgentStopsWithOneLineWithoutTheKey(_ format: String) async throws {
        let server = try await MisbehavingServer.start(.answer(status: 403, body: #"{"error":"agents with key \#(key) are banned"}"#))
        var arguments = run(["--driver", "mock"], port: server.port)
        arguments[2] = format
        let agent = try AgentProcess(arguments, environment: ["AGENT_API_KEY": key])
        #expect(await agent.exitStatus() == 1)
        await server.stop()
        #expect(!agent.stderr.contains(key))
        let expected = "the Control Plane rejected agent host-1: agents with key *** are banned — ask its administrator to approve this agent"
        if format == "json" {
            let lines = jsonLines(agent.stderr)
            #expect(lines.last?["message"] as? String == expected, "\(agent.stderr)")
        } else {
            #expect(agent.stderr.split(separator: "\n").last == "agent: error: \(expected)"[...], "\(agent.stderr)")
        }
    }
}
