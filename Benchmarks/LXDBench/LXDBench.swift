import AgentHost
import BenchSupport
import DevControlPlane
import DriverModel
import Foundation
import Glibc
import Logging
import NIOHTTP1
import PlatformKit

/// Start-session latency of an LXD session through the agent and the LXD driver, next to the
/// same operation made directly on LXD's REST API (create, then start, waiting on each
/// operation) in the same run; the time from a change made by hand on LXD (a forced stop, a
/// delete) to the Control Plane's status; then the agent's RSS with the Docker and LXD drivers
/// loaded, idle and with 20 sessions on each; and what one open LXD event stream costs.
///
/// Needs Docker and LXD with the test images: `eval "$(Scripts/docker-sandbox.sh up)"; eval
/// "$(Scripts/lxd-sandbox.sh up)"`. Run: `swift build -c release && .build/release/LXDBench [rounds]`.
@main
struct LXDBench {
    static let lxdImage = ProcessInfo.processInfo.environment["STREAMSPACE_LXD_TEST_IMAGE"] ?? "streamspace-test/httpd"
    static let dockerImage = ProcessInfo.processInfo.environment["STREAMSPACE_TEST_IMAGE"] ?? "streamspace-test/httpd:2"

    static func main() async throws {
        let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 10
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        guard let lxdDir = ProcessInfo.processInfo.environment["LXD_DIR"],
              ProcessInfo.processInfo.environment["DOCKER_HOST"] != nil else {
            print("LXDBench: set DOCKER_HOST and LXD_DIR: eval \"$(Scripts/docker-sandbox.sh up)\"; eval \"$(Scripts/lxd-sandbox.sh up)\"")
            exit(2)
        }
        let rest = try PlatformHTTPClient(address: .unixSocket(path: lxdDir + "/unix.socket"), platformName: "LXD")
        do {
            try await run(rest: rest, rounds: rounds, buildDirectory: buildDirectory)
        } catch {
            // Said, not lost in a crash: the client must be shut down before it goes.
            print("LXDBench failed: \(error)")
            await rest.shutdown()
            exit(1)
        }
        await rest.shutdown()
    }

    static func run(rest: PlatformHTTPClient, rounds: Int, buildDirectory: String) async throws {
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()
        let baseID = "lxdbench-\(getpid())"
        let agent = try Bench.spawnAgent(
            buildDirectory, url: endpoints.agentURL, agentID: baseID, key: apiKey,
            // 40 sessions of 250m on a two-core machine: the host's figures are raised so the
            // host-wide limit (which the benchmark does not measure) lets them all start.
            drivers: ["--driver", "docker", "--driver", "lxd", "--driver-config", #"lxd={"hibernate": "stop", "stopTimeoutSeconds": 2}"#,
                      "--max-cpu", "64", "--max-memory", "64Gi"],
            environment: ProcessInfo.processInfo.environment.filter { ["DOCKER_HOST", "LXD_DIR"].contains($0.key) })
        defer { agent.terminate(); agent.waitUntilExit() }
        let lxdAgent = "\(baseID)-lxd", dockerAgent = "\(baseID)-docker"
        try await controlPlane.waitFor("agents connected", timeout: .seconds(60)) {
            $0.agent(lxdAgent)?.connected == true && $0.agent(dockerAgent)?.connected == true
        }
        try await Task.sleep(for: .seconds(2))
        let idleRSS = Bench.statusKiB(agent.processIdentifier, "VmRSS:")

        let library = try DriverLibrary.load(path: buildDirectory + "/liblxd.so")
        var driverLogger = Logger(label: "driver")
        driverLogger.logLevel = .error
        let driver = try await Driver.create(library, configuration: Array(#"{"hibernate": "stop", "stopTimeoutSeconds": 2}"#.utf8),
                                             logger: driverLogger)

        print("LXDBench: \(rounds) alternating rounds, image \(lxdImage), 250m CPU, 64Mi, one proxy port, no home volume")
        var throughAgent: [Double] = [], throughDriver: [Double] = [], direct: [Double] = []
        for round in -1..<rounds {  // round -1 warms every path up and is not counted
            var began = ContinuousClock.now
            let created = try await controlPlane.createSession(SessionRequest(
                agentId: lxdAgent, user: "bench", template: "httpd", image: lxdImage, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: false))
            let state = try await controlPlane.waitFor("start", timeout: .seconds(120), poll: .microseconds(200)) {
                [.completed, .failed].contains($0.command(created.commandId)?.state)
            }
            guard state.command(created.commandId)?.state == .completed else {
                print("start through the agent failed: \(state.command(created.commandId)?.error ?? "?")")
                exit(1)
            }
            if round >= 0 { throughAgent.append(Bench.milliseconds(since: began)) }
            let stop = try await controlPlane.deleteSession(created.sessionId)
            _ = try await controlPlane.waitFor("stop", timeout: .seconds(120)) { $0.command(stop)?.state == .completed }

            let id = "bench-direct-\(round + 1)"
            began = ContinuousClock.now
            _ = try await driver.start(SessionSpec(
                id: id, user: "bench", template: .init(name: "httpd", image: lxdImage, ports: [.init(name: "vnc", port: 8080)]),
                resources: try .init(cpu: "250m", memory: "64Mi")))
            if round >= 0 { throughDriver.append(Bench.milliseconds(since: began)) }
            _ = try await driver.stop(StopRequest(sessionId: id))

            // The same instance made directly: create, wait, start, wait.
            let name = "bench-rest-\(round + 1)"
            let port = 29_000 + round + 1
            began = ContinuousClock.now
            try await operation(rest, .POST, "/1.0/instances", [
                "name": .string(name), "type": .string("container"),
                "source": .object(["type": .string("image"), "alias": .string(lxdImage)]),
                "profiles": .array([.string("default")]),
                "config": .object(["limits.memory": .string("67108864B"), "limits.cpu.allowance": .string("25ms/100ms"),
                                   "user.streamspace.managed": .string("bench")]),
                "devices": .object(["vnc": .object(["type": .string("proxy"), "listen": .string("tcp:127.0.0.1:\(port)"),
                                                    "connect": .string("tcp:127.0.0.1:8080")])]),
            ])
            try await operation(rest, .PUT, "/1.0/instances/\(name)/state", ["action": .string("start")])
            if round >= 0 { direct.append(Bench.milliseconds(since: began)) }
            try await operation(rest, .PUT, "/1.0/instances/\(name)/state", ["action": .string("stop"), "force": .bool(true)])
            try await operation(rest, .DELETE, "/1.0/instances/\(name)", nil)
        }
        await driver.destroy()

        Bench.printStartLatency(baseline: "LXD REST API directly", direct, driver: "driver runtime → LXD driver", throughDriver,
                                agent: throughAgent, goal: "")

        // Changes made by hand on LXD (REST calls, as `lxc stop --force` / `lxc delete --force`
        // make them) until the Control Plane has the session's new state. The agent's own re-read
        // of the platform is 30 s apart: figures well under it come from LXD's event stream.
        var stopSeen: [Double] = [], deleteSeen: [Double] = []
        for _ in 0..<rounds {
            let created = try await controlPlane.createSession(SessionRequest(
                agentId: lxdAgent, user: "bench", template: "httpd", image: lxdImage, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: false))
            let id = created.sessionId
            let running = try await controlPlane.waitFor("running", timeout: .seconds(120)) { $0.session(id)?.state == "running" }
            guard let name = running.session(id)?.platformMetadata?["workloadName"]?.stringValue else {
                print("no workloadName for \(id)")
                exit(1)
            }
            try await operation(rest, .PUT, "/1.0/instances/\(name)/state", ["action": .string("stop"), "force": .bool(true)])
            var began = ContinuousClock.now
            _ = try await controlPlane.waitFor("stop seen", timeout: .seconds(60), poll: .microseconds(200)) { $0.session(id)?.state == "failed" }
            stopSeen.append(Bench.milliseconds(since: began))
            try await operation(rest, .DELETE, "/1.0/instances/\(name)", nil)
            began = ContinuousClock.now
            _ = try await controlPlane.waitFor("delete seen", timeout: .seconds(60), poll: .microseconds(200)) { $0.session(id)?.state == "terminated" }
            deleteSeen.append(Bench.milliseconds(since: began))
        }
        print("\n2. Change by hand → Control Plane, ms   median     p90    best")
        print(Bench.row("lxc stop --force → failed", stopSeen))
        print(Bench.row("lxc delete --force → terminated", deleteSeen))
        print("   (the agent re-reads the platform every 30 s: these come from LXD's lifecycle events)")

        // 20 sessions on each driver, then the agent's memory.
        var commands: [String] = [], sessions: [String] = []
        for index in 0..<20 {
            for (agentID, image) in [(lxdAgent, lxdImage), (dockerAgent, dockerImage)] {
                let created = try await controlPlane.createSession(SessionRequest(
                    agentId: agentID, user: "bench\(index)", template: "httpd", image: image, port: 8080,
                    cpu: "250m", memory: "64Mi", persistentHome: false))
                commands.append(created.commandId)
                sessions.append(created.sessionId)
            }
        }
        let started = commands
        let done = try await controlPlane.waitFor("40 starts", timeout: .seconds(600), poll: .milliseconds(5)) { state in
            started.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        let failed = started.filter { done.command($0)?.state != .completed }.count
        try await Task.sleep(for: .seconds(2))
        let busyRSS = Bench.statusKiB(agent.processIdentifier, "VmRSS:")
        print("\n3. Agent process with the Docker and LXD drivers loaded")
        print("   RSS idle \(Bench.mib(idleRSS)) MiB; with 20 sessions on each \(Bench.mib(busyRSS)) MiB (\(failed) starts failed); peak \(Bench.mib(Bench.statusKiB(agent.processIdentifier, "VmHWM:"))) MiB")

        var stops: [String] = []
        for id in sessions { stops.append(try await controlPlane.deleteSession(id)) }
        let stopCommands = stops
        _ = try await controlPlane.waitFor("stops", timeout: .seconds(600), poll: .milliseconds(20)) { state in
            stopCommands.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        await controlPlane.stop()
        try await eventStreamCost(rest)
    }

    /// What one open LXD event stream costs a process: 100 streams opened side by side in this
    /// one (as 100 drivers would hold them), its RSS before and after, per stream.
    static func eventStreamCost(_ rest: PlatformHTTPClient) async throws {
        let count = 100
        try await Task.sleep(for: .seconds(1))
        let before = Bench.statusKiB(getpid(), "VmRSS:")
        var streams: [WebSocketClient.Connection] = []
        for _ in 0..<count {
            streams.append(try await rest.webSocket("/1.0/events", query: [("type", "lifecycle"), ("project", "default")]))
        }
        try await Task.sleep(for: .seconds(1))
        let after = Bench.statusKiB(getpid(), "VmRSS:")
        for stream in streams { try? await stream.executeThenClose { _, _ in } }
        let perStream = Double(after - before) / Double(count)
        print("\n4. One LXD event stream (WebSocket on /1.0/events) costs this process about \(String(format: "%.1f", perStream)) KiB of RSS (\(count) open: \(Bench.mib(before)) → \(Bench.mib(after)) MiB)")
    }

    /// One LXD call, its background operation waited on; stops the benchmark on failure.
    static func operation(_ rest: PlatformHTTPClient, _ method: HTTPMethod, _ path: String, _ body: [String: JSONValue]?) async throws {
        let response = try await rest.request(method, path, json: body.map { .object($0) }, timeout: .seconds(120))
        let json = try response.json()
        if let operation = json["operation"]?.stringValue, !operation.isEmpty {
            let waited = try await rest.request(.GET, operation + "/wait", query: [("timeout", "120")], timeout: .seconds(125))
            guard try waited.json()["metadata"]?["status_code"]?.intValue == 200 else {
                print("\(method) \(path) failed: \(waited.bodyText)")
                exit(1)
            }
        } else if !response.isSuccess {
            print("\(method) \(path) failed: \(response.bodyText)")
            exit(1)
        }
    }
}
