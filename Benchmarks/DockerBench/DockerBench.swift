import AgentHost
import BenchSupport
import DevControlPlane
import DriverModel
import Foundation
import Glibc
import Logging

/// Start-session latency of a Docker session through the agent and the Docker driver, next to
/// `docker run` of the same image with the same options in the same run; then 50 sessions
/// started at once: wall time and the agent's RSS.
///
/// Needs a Docker (DOCKER_HOST) with the test image: `eval "$(Scripts/docker-sandbox.sh up)"`.
/// Run: `swift build -c release && .build/release/DockerBench [rounds]`; `DockerBench restart`
/// measures a restart instead (RestartBench).
@main
struct DockerBench {
    static let image = ProcessInfo.processInfo.environment["STREAMSPACE_TEST_IMAGE"] ?? "streamspace-test/httpd:2"

    static func main() async throws {
        let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 15
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        guard docker(["image", "inspect", image]).status == 0 else {
            print("DockerBench: no Docker with \(image) here; run: eval \"$(Scripts/docker-sandbox.sh up)\"")
            exit(2)
        }
        if CommandLine.arguments.dropFirst().first == "restart" {
            let numbers = CommandLine.arguments.dropFirst(2).compactMap { Int($0) }
            try await RestartBench.run(sessions: numbers.first ?? 100, rounds: numbers.dropFirst().first ?? 5,
                                       buildDirectory: buildDirectory, image: image)
            return
        }

        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()
        let agentID = "dockerbench-\(getpid())"
        let agent = try Bench.spawnAgent(buildDirectory, url: endpoints.agentURL, agentID: agentID, key: apiKey,
                                         drivers: ["--driver", "docker"],
                                         environment: ProcessInfo.processInfo.environment.filter { $0.key == "DOCKER_HOST" })
        defer { agent.terminate(); agent.waitUntilExit() }
        try await controlPlane.waitFor("agent connected", timeout: .seconds(30)) { $0.agent(agentID)?.connected == true }

        let library = try DriverLibrary.load(path: buildDirectory + "/libdocker.so")
        var driverLogger = Logger(label: "driver")
        driverLogger.logLevel = .error
        let driver = try await Driver.create(library, configuration: Array("{}".utf8), logger: driverLogger)

        print("DockerBench: \(rounds) alternating rounds, image \(image), 250m CPU, 64Mi, port 8080 published on loopback, home volume")
        var throughAgent: [Double] = [], throughDriver: [Double] = [], dockerRun: [Double] = []
        for round in -1..<rounds {  // round -1 warms every path up and is not counted
            // 1. The Control Plane's start_session → the agent → the driver → Docker → `complete`.
            var began = ContinuousClock.now
            let created = try await controlPlane.createSession(SessionRequest(
                agentId: agentID, user: "bench", template: "httpd", image: image, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: true))
            let state = try await controlPlane.waitFor("start", timeout: .seconds(120), poll: .microseconds(200)) {
                let command = $0.command(created.commandId)
                return command?.state == .completed || command?.state == .failed
            }
            guard state.command(created.commandId)?.state == .completed else {
                print("start through the agent failed: \(state.command(created.commandId)?.error ?? "?")")
                exit(1)
            }
            if round >= 0 { throughAgent.append(Bench.milliseconds(since: began)) }
            let stop = try await controlPlane.deleteSession(created.sessionId, deletePVC: true)
            _ = try await controlPlane.waitFor("stop", timeout: .seconds(120)) { $0.command(stop)?.state == .completed }

            // 2. The same through the agent's driver runtime alone (no Control Plane link).
            let id = "bench-direct-\(round + 1)"
            began = ContinuousClock.now
            _ = try await driver.start(SessionSpec(
                id: id, user: "bench", template: .init(name: "httpd", image: image, ports: [.init(name: "vnc", port: 8080)],
                                                       volumeMounts: [.init(name: "home", mountPath: "/config")]),
                resources: try .init(cpu: "250m", memory: "64Mi"), persistentHome: true))
            if round >= 0 { throughDriver.append(Bench.milliseconds(since: began)) }
            _ = try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true))

            // 3. `docker run` with the same options.
            let name = "bench-run-\(round + 1)"
            began = ContinuousClock.now
            let run = docker(["run", "-d", "--name", name, "--init", "--cpus", "0.25", "--memory", "64m",
                              "--network", "streamspace", "-p", "127.0.0.1::8080", "--restart", "no",
                              "--security-opt", "no-new-privileges", "-v", "\(name)-home:/config",
                              "--label", "streamspace.io/managed=bench", "--label", "streamspace.io/session=\(name)",
                              "--label", "streamspace.io/user=bench", image])
            if round >= 0 { dockerRun.append(Bench.milliseconds(since: began)) }
            guard run.status == 0 else { print("docker run failed: \(run.stderr)"); exit(1) }
            _ = docker(["rm", "-f", name])
            _ = docker(["volume", "rm", "\(name)-home"])
        }
        await driver.destroy()

        Bench.printStartLatency(baseline: "docker run (CLI)", dockerRun, driver: "driver runtime → Docker driver", throughDriver,
                                agent: throughAgent)

        // 50 at once, as a Control Plane would send them after an outage.
        let count = 50
        let rssBefore = Bench.statusKiB(agent.processIdentifier, "VmRSS:")
        let began = ContinuousClock.now
        var commands: [String: String] = [:]
        for index in 0..<count {
            let created = try await controlPlane.createSession(SessionRequest(
                agentId: agentID, user: "bench\(index)", template: "httpd", image: image, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: true))
            commands[created.sessionId] = created.commandId
        }
        let ids = Array(commands.values)
        let done = try await controlPlane.waitFor("\(count) starts", timeout: .seconds(600), poll: .milliseconds(2)) { state in
            ids.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        let wall = Bench.milliseconds(since: began) / 1000
        let failed = ids.filter { done.command($0)?.state != .completed }.count
        let rssAfter = Bench.statusKiB(agent.processIdentifier, "VmRSS:")
        let peak = Bench.statusKiB(agent.processIdentifier, "VmHWM:")
        print("\n2. \(count) sessions started at once through the agent")
        print("   wall time \(String(format: "%.2f", wall)) s (\(failed) failed); agent RSS idle \(Bench.mib(rssBefore)) MiB → \(Bench.mib(rssAfter)) MiB with \(count) running, peak \(Bench.mib(peak)) MiB")

        var stopCommands: [String] = []
        for id in commands.keys { stopCommands.append(try await controlPlane.deleteSession(id, deletePVC: true)) }
        let stops = stopCommands
        _ = try await controlPlane.waitFor("stops", timeout: .seconds(600), poll: .milliseconds(20)) { state in
            stops.allSatisfy { state.command($0)?.state == .completed }
        }
        await controlPlane.stop()
    }

    static func docker(_ arguments: [String]) -> ProcessRunner.Result {
        Bench.docker(arguments, keepOutput: false)
    }
}
