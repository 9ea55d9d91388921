import AgentHost
import ArgumentParser
import AsyncHTTPClient
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Logging
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// `agent demo`: the agent's main job in one command, with nothing to set up — a dev control
/// plane, this agent with a driver, and one session through its whole life.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a dev control plane and an agent with a driver, and take one session through its life.",
        discussion: """
            Everything runs in this process on loopback: the dev control plane (as strict as the \
            real StreamSpace server), the agent registering (pending, then approved), and a \
            session started, hibernated, woken and stopped through the driver, as the Control \
            Plane would ask. Each step prints what the Control Plane saw.

            Each running session is served at a viewer URL of the dev control plane \
            (http://127.0.0.1:PORT/sessions/<id>/), reached through the agent's session tunnel \
            to the session's viewer port, as a browser would reach it behind NAT. With --keep \
            the demo stops after the wake with the session running and prints that URL: open it \
            in a browser; Ctrl-C (SIGINT or SIGTERM) then stops the session cleanly and ends \
            the demo.
            """)

    @OptionGroup var driverOptions: DriverOptions

    @Option(help: "The image the session runs (it must exist on the platform).")
    var image = "busybox:latest"

    @Option(help: "The session's port (its viewer endpoint).")
    var port = 8080

    @Flag(help: "Fetch the session's viewer URL after start and wake, and show that it answers (for drivers of real platforms).")
    var checkURL = false

    @Flag(help: "Keep the session running after the wake, until Ctrl-C, so that its viewer URL can be opened in a browser; then stop it.")
    var keep = false

    @Option(help: "The viewer's port on 127.0.0.1 (0 picks a free one).")
    var viewerPort = 0

    func run() async throws {
        bootstrapLogging(driverOptions.logLevel)
        do {
            try await demo()
        } catch let error as CLIError {
            error.exit()
        }
    }

    private func demo() async throws {
        let clock = ContinuousClock()
        let began = clock.now
        func say(_ text: String) {
            let elapsed = clock.now - began
            let millis = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            print("[\(String(format3(millis)))] \(text)")
            fflush(nil)  // every stream: a script waiting for a line (Scripts/browser-test.sh) sees it at once
        }

        let driver = try await driverOptions.createDriver()
        say("driver \(driver.description.name) \(driver.description.version) loaded from \(driver.library.path) (platform \(driver.description.platform), hibernation: \(driver.capabilities.hibernateKind))")

        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = false
        configuration.defaultImage = image
        configuration.defaultPort = port
        configuration.viewerPort = viewerPort
        // The control plane's own log stays quiet: its shutdown is not the user's concern.
        var controlPlaneLogger = Logger(label: "dev-control-plane")
        controlPlaneLogger.logLevel = .critical
        let controlPlane = DevControlPlane(configuration: configuration, logger: controlPlaneLogger)
        let endpoints = try await controlPlane.start()
        say("dev control plane listening: agents \(endpoints.agentURL), admin \(endpoints.adminURL), viewer \(endpoints.viewerURL)")

        let agentID = "demo-\(driver.description.name)-agent"
        var link = LinkConfiguration(controlPlaneURL: endpoints.agentURL, agentID: agentID, apiKey: configuration.apiKey,
                                     platform: driver.description.platform, region: "local",
                                     capacity: .init(maxSessions: 10, cpu: HostFacts.cpuCores(), memory: HostFacts.memory()))
        link.pendingRetryInterval = .milliseconds(500)
        link.heartbeatInterval = .seconds(2)
        let agent = AgentLink(configuration: link, driver: driver, logger: Logger(label: "streamspace.agent"))
        let agentTask = Task { try await agent.run() }

        func finish() async {
            agentTask.cancel()
            _ = await agentTask.result
            await driver.destroy()
            await controlPlane.stop()
        }

        do {
            try await controlPlane.waitFor("registration", timeout: .seconds(30)) { $0.agent(agentID)?.approvalStatus == .pending }
            say("agent \(agentID) registered; the Control Plane answered 202: pending approval")
            _ = try await controlPlane.approve(agentId: agentID)
            try await controlPlane.waitFor("connection", timeout: .seconds(30)) { $0.agent(agentID)?.connected == true }
            say("approved by the administrator; agent connected over WebSocket")

            let created = try await controlPlane.createSession(SessionRequest(agentId: agentID, user: "alice", template: "demo"))
            say("start_session \(created.sessionId) (image \(image)) …")
            let started = try await awaitCommand(controlPlane, created.commandId)
            let running = await controlPlane.state.session(created.sessionId)
            say("  → \(running?.state ?? "?"), viewer \(running?.url ?? "none") [\(started)]")
            say("  open in a browser: \(endpoints.viewerURL(sessionId: created.sessionId))")
            if checkURL { say("  viewer: \(try await fetch(running?.url))") }

            let hibernate = try await controlPlane.hibernate(sessionId: created.sessionId)
            say("hibernate_session … → \(try await awaitCommand(controlPlane, hibernate)), state \(await controlPlane.state.session(created.sessionId)?.state ?? "?")")
            let wake = try await controlPlane.wake(sessionId: created.sessionId)
            say("wake_session … → \(try await awaitCommand(controlPlane, wake)), viewer \(await controlPlane.state.session(created.sessionId)?.url ?? "none")")
            if checkURL { say("  viewer: \(try await fetch(await controlPlane.state.session(created.sessionId)?.url))") }
            say("  open in a browser: \(endpoints.viewerURL(sessionId: created.sessionId))")
            if keep {
                say("the session keeps running; press Ctrl-C to stop it")
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
                say("stopping …")
            }
            // The demo leaves nothing behind: the stop deletes the session's home volume too.
            let stop = try await controlPlane.deleteSession(created.sessionId, deletePVC: true)
            say("stop_session … → \(try await awaitCommand(controlPlane, stop)), state \(await controlPlane.state.session(created.sessionId)?.state ?? "?")")

            let state = await controlPlane.state
            say("the Control Plane received \(state.agent(agentID)?.heartbeats ?? 0) heartbeat(s); messages it dropped for strictness: \(state.rejected(from: agentID).count)")
            await finish()
            say("done")
        } catch {
            await finish()
            throw CLIError("demo failed: \(error)", exitCode: 1)
        }
    }

    /// GETs a viewer URL (retrying while the session's server comes up): "HTTP 200, 38 bytes: …".
    private func fetch(_ url: String?) async throws -> String {
        guard let url else { throw CLIError("the session has no viewer URL", exitCode: 1) }
        var lastError = "no answer"
        for _ in 0..<50 {
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                let firstLine = body.split(separator: "\n").first.map { String($0.prefix(60)) } ?? ""
                return "GET \(url) → HTTP \(response.status.code), \(body.utf8.count) bytes: \(firstLine)"
            } catch {
                lastError = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("the viewer \(url) does not answer: \(lastError)", exitCode: 1)
    }

    /// Waits for a command to finish; "completed" or throws with the agent's error.
    private func awaitCommand(_ controlPlane: DevControlPlane, _ commandID: String) async throws -> String {
        let state = try await controlPlane.waitFor("command \(commandID)", timeout: .seconds(300)) {
            let command = $0.command(commandID)
            return command?.state == .completed || command?.state == .failed
        }
        guard let command = state.command(commandID), command.state == .completed else {
            throw CLIError("\(state.command(commandID)?.action ?? "command") failed: \(state.command(commandID)?.error ?? "unknown error")", exitCode: 1)
        }
        return "completed"
    }
}

private func format3(_ millis: Int) -> String {
    let seconds = millis / 1000, rest = millis % 1000
    return "\(seconds).\(rest < 10 ? "00" : rest < 100 ? "0" : "")\(rest)s"
}
