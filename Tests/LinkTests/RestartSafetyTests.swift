import AgentHost
import AgentTestSupport
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// `kill -9` of the real agent binary at every step of start, stop, hibernate and wake — the
/// agent's own steps and the Docker driver's steps between two platform calls — then a restart
/// on the same --state-dir and the same command id sent again. After each: one container per
/// session at most, the state the control plane holds is the container's true state, and the
/// command seen before the crash was not executed again (the platform is as the crash left it),
/// while the Control Plane's own retry under a new id finishes the job.
///
/// The crash points are armed by STREAMSPACE_TEST_CRASH_AT (DriverModel.TestCrashPoint), which
/// makes the process SIGKILL itself there.
@Suite(.serialized, .enabled(if: DockerTestEnvironment.isAvailable || DockerTestEnvironment.isRequired,
                             "needs Docker (Scripts/docker-sandbox.sh)"))
struct RestartSafetyTests {
    struct Crash: CustomTestStringConvertible, Sendable {
        var action: String
        var point: String
        /// How the same command id is answered after the restart.
        var answer: CommandState
        var testDescription: String { "\(action) killed at \(point)" }

        /// Where the crash left the command: at `after-ack` it was never begun, so the repeat
        /// runs it (for the first time).
        var runsOnRepeat: Bool { point.hasSuffix(":after-ack") }
        /// Begun and not finished at the crash: the restarted agent answers it unasked.
        var interrupted: Bool { !runsOnRepeat && !point.hasSuffix(":before-verdict") }
    }

    /// All of them, or those STREAMSPACE_TEST_CRASH_POINTS names (comma-separated), to look at one.
    static let crashes = allCrashes.filter { crash in
        ProcessInfo.processInfo.environment["STREAMSPACE_TEST_CRASH_POINTS"].map { $0.split(separator: ",").contains(Substring(crash.point)) } ?? true
    }

    static let allCrashes: [Crash] = [
        .init(action: "start_session", point: "start_session:after-ack", answer: .completed),
        .init(action: "start_session", point: "start_session:after-journal-begin", answer: .failed),
        .init(action: "start_session", point: "docker:start-after-create", answer: .failed),
        .init(action: "start_session", point: "start_session:after-driver", answer: .completed),
        .init(action: "start_session", point: "start_session:before-verdict", answer: .completed),
        .init(action: "stop_session", point: "stop_session:after-ack", answer: .completed),
        .init(action: "stop_session", point: "stop_session:after-journal-begin", answer: .failed),
        .init(action: "stop_session", point: "docker:stop-after-stop", answer: .failed),
        .init(action: "stop_session", point: "stop_session:after-driver", answer: .completed),
        .init(action: "stop_session", point: "stop_session:before-verdict", answer: .completed),
        .init(action: "hibernate_session", point: "hibernate_session:after-ack", answer: .completed),
        .init(action: "hibernate_session", point: "hibernate_session:after-journal-begin", answer: .failed),
        .init(action: "hibernate_session", point: "docker:hibernate-after-rename", answer: .failed),
        .init(action: "hibernate_session", point: "hibernate_session:after-driver", answer: .completed),
        .init(action: "hibernate_session", point: "hibernate_session:before-verdict", answer: .completed),
        .init(action: "wake_session", point: "wake_session:after-ack", answer: .completed),
        .init(action: "wake_session", point: "wake_session:after-journal-begin", answer: .failed),
        .init(action: "wake_session", point: "docker:resume-after-start", answer: .completed),
        .init(action: "wake_session", point: "wake_session:after-driver", answer: .completed),
        .init(action: "wake_session", point: "wake_session:before-verdict", answer: .completed),
    ]

    @Test(arguments: crashes)
    func aKilledAgentNeitherRepeatsNorLosesACommand(_ crash: Crash) async throws {
        let setup = try await ControlPlaneForAgent()
        defer { try? FileManager.default.removeItem(atPath: setup.stateDirectory) }
        let id = setup.baseID
        let arguments = setup.arguments(["--driver", "docker", "--driver-config", #"{"stopTimeoutSeconds": 1}"#])
        var environment = setup.environment
        environment["DOCKER_HOST"] = DockerTestEnvironment.host

        // 1. An agent armed to die at the point: the session brought to where the command starts.
        let armed = try AgentProcess(arguments, environment: environment.merging([TestCrashPoint.variable: crash.point]) { $1 })
        try await setup.waitFor("the armed agent connected and reporting", armed) { state in
            state.agent(id)?.connected == true && state.sessionSyncs.contains { $0.agentId == id }
        }
        let created = try await setup.controlPlane.createSession(SessionRequest(
            agentId: id, user: "crash", template: "httpd", image: DockerTestEnvironment.image, port: 8080,
            cpu: "250m", memory: "64Mi", persistentHome: false))
        let session = created.sessionId
        defer { DockerTestEnvironment.removeLeftovers(ofSessions: [session]) }
        var commandID = created.commandId
        if crash.action != "start_session" {
            #expect(try await done(created.commandId, setup, armed).state == .completed)
            if crash.action == "wake_session" {
                #expect(try await done(try await setup.controlPlane.hibernate(sessionId: session), setup, armed).state == .completed)
            }
            commandID = try await send(crash.action, session, setup)
        }
        let status = await armed.exitStatus(within: .seconds(60))
        try #require(status == 128 + SIGKILL, "the agent was not killed at \(crash.point) (exit \(status.map(String.init) ?? "none")); stderr:\n\(armed.stderr)")
        let afterCrash = try Self.containers(of: session)
        #expect(afterCrash.count <= 1, "\(afterCrash)")

        // 2. The restart, on the same state dir, and the same command id again.
        let before = await setup.controlPlane.state
        let connections = before.agent(id)?.connections ?? 0, syncs = before.sessionSyncs.first { $0.agentId == id }?.count ?? 0
        let agent = try AgentProcess(arguments, environment: environment)
        // Connected, and its report after connecting in (the connection carries both ways).
        try await setup.waitFor("the restarted agent connected and reporting", agent) { state in
            (state.agent(id)?.connections ?? 0) > connections && state.agent(id)?.connected == true
                && (state.sessionSyncs.first { $0.agentId == id }?.count ?? 0) > syncs
        }
        if crash.interrupted {
            let unasked = try await done(commandID, setup, agent)
            #expect(unasked.state == crash.answer, "answered unasked: \(unasked.state.rawValue): \(unasked.error ?? "")")
        }
        try await setup.controlPlane.resend(commandId: commandID)
        let answer = try await done(commandID, setup, agent)
        #expect(answer.state == crash.answer, "\(answer.state.rawValue): \(answer.error ?? "")\nstderr:\n\(agent.stderr)")
        let afterRepeat = try Self.containers(of: session)
        if !crash.runsOnRepeat {
            #expect(afterRepeat == afterCrash, "the repeated command changed the platform: it ran again")
        }
        try await expectTrueState(session, crash.action, setup, agent)

        // 3. The Control Plane's own retry, under a new id, finishes what the crash cut short
        //    (a container made but never started is adopted, not made twice).
        if answer.state == .failed {
            #expect(answer.error?.contains("the agent restarted while this command ran") == true, "\(answer.error ?? "")")
            let retry = try await done(try await send(crash.action, session, setup), setup, agent)
            #expect(retry.state == .completed, "\(retry.error ?? "")")
            let afterRetry = try Self.containers(of: session)
            #expect(afterRetry.count == (crash.action == "stop_session" ? 0 : 1), "\(afterRetry)")
            if let made = afterCrash.first, crash.action == "start_session" {
                #expect(afterRetry.first?.id == made.id, "the retry made a second container")
            }
            try await expectTrueState(session, crash.action, setup, agent)
        }
        try await setup.stopCleanly(agent, [id])
        await setup.controlPlane.stop()
    }

    private func done(_ command: String, _ setup: ControlPlaneForAgent, _ agent: AgentProcess) async throws -> CommandRecord {
        do {
            return try await setup.waitFor("command \(command) done", agent) { state in
                [.completed, .failed].contains(state.command(command)?.state)
            }.command(command)!
        } catch {
            let state = await setup.controlPlane.state
            Issue.record("command \(command) is \(state.command(command)?.state.rawValue ?? "unknown"); events: \(state.events.suffix(8).map { "\($0.kind): \($0.detail)" })")
            throw error
        }
    }

    private func send(_ action: String, _ session: String, _ setup: ControlPlaneForAgent) async throws -> String {
        switch action {
        case "stop_session": return try await setup.controlPlane.deleteSession(session)
        case "hibernate_session": return try await setup.controlPlane.hibernate(sessionId: session)
        case "wake_session": return try await setup.controlPlane.wake(sessionId: session)
        default:
            // A start again: the first one's payload under a new id, as the real server retries.
            let first = try #require(await setup.controlPlane.state.commands.first { $0.sessionId == session && $0.action == action })
            return try await setup.controlPlane.send(action: action, payload: first.payload, to: setup.baseID)
        }
    }

    /// What the control plane holds for the session is what Docker has.
    private func expectTrueState(_ session: String, _ action: String, _ setup: ControlPlaneForAgent, _ agent: AgentProcess,
                                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let containers = try Self.containers(of: session)
        let truth: Set<String>
        if let container = containers.first {
            truth = [container.state == "running" ? "running"
                : container.name.hasSuffix(".Hibernated") && ["exited", "created"].contains(container.state) ? "hibernated" : "failed"]
        } else {
            // Nothing on the platform: gone — or, for a start that never made its container, failed.
            truth = action == "start_session" ? ["failed", "terminated"] : ["terminated"]
        }
        let state = try await setup.waitFor("session \(session) reported \(truth.sorted())", agent, timeout: .seconds(15)) {
            truth.contains($0.session(session)?.state ?? "")
        }
        #expect(truth.contains(state.session(session)?.state ?? ""), sourceLocation: sourceLocation)
    }

    struct Container: Equatable, CustomStringConvertible {
        var id, name, state, startedAt, finishedAt: String
        var description: String { "\(name) \(id.prefix(12)) \(state) started \(startedAt) finished \(finishedAt)" }
    }

    /// Every container of the session, as Docker has it (any state), with its start and stop times:
    /// a command run again shows as a changed time or a new id.
    static func containers(of session: String) throws -> [Container] {
        try DockerTestEnvironment.containers(ofSession: session).sorted().compactMap { name in
            guard let inspect = try DockerTestEnvironment.inspect(name), let state = inspect["State"] as? [String: Any] else { return nil }
            return Container(id: inspect["Id"] as? String ?? "", name: name, state: state["Status"] as? String ?? "",
                             startedAt: state["StartedAt"] as? String ?? "", finishedAt: state["FinishedAt"] as? String ?? "")
        }
    }
}
