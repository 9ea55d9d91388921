import AgentHost
import BenchSupport
import DevControlPlane
import DriverModel
import Foundation
import Glibc
import Logging
import PlatformKit

/// Start-session latency of a Kubernetes session through the agent and the Kubernetes driver,
/// next to the very same objects (copied from a session the driver made) created by a direct
/// REST client against the same API server in the same run; 100 starts sent at once; the time
/// from a pod or Deployment deleted by hand to the Control Plane; and the agent's RSS with the
/// driver loaded, idle and with 100 sessions.
///
/// Needs the test API server, its pods backed by Docker: `eval "$(Scripts/docker-sandbox.sh up)";
/// eval "$(Scripts/kube-sandbox.sh up)"`. Run: `swift build -c release --product KubeBench &&
/// swift build -c release && .build/release/KubeBench [rounds]`.
@main
struct KubeBench {
    static let image = ProcessInfo.processInfo.environment["STREAMSPACE_TEST_IMAGE"] ?? "streamspace-test/httpd:2"
    // Small requests: 100 sessions must fit the test server's one node (4 CPU, 8Gi).
    static let cpu = "20m", memory = "32Mi"

    static func main() async throws {
        let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 10
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        guard let kubeconfig = ProcessInfo.processInfo.environment["STREAMSPACE_KUBECONFIG"] else {
            print("KubeBench: set STREAMSPACE_KUBECONFIG: eval \"$(Scripts/docker-sandbox.sh up)\"; eval \"$(Scripts/kube-sandbox.sh up)\"")
            exit(2)
        }
        // The direct client reads back what it made (services, PVCs), which the agent's least-
        // privilege Role does not grant: it uses the sandbox admin's token (Scripts/kube-sandbox.sh
        // keeps it beside the kubeconfigs) when there is one.
        let sandbox = (kubeconfig as NSString).deletingLastPathComponent
        let adminToken = (try? String(contentsOfFile: "\(sandbox)/admin.token", encoding: .utf8))
            .flatMap { $0.split(separator: ",").first.map(String.init) }
        let cluster = try BenchCluster(kubeconfig: kubeconfig, token: adminToken)
        do {
            try await run(cluster, kubeconfig: kubeconfig, rounds: rounds, buildDirectory: buildDirectory)
        } catch {
            print("KubeBench failed: \(error)")
            await cluster.shutdown()
            exit(1)
        }
        await cluster.shutdown()
    }

    static func run(_ cluster: BenchCluster, kubeconfig: String, rounds: Int, buildDirectory: String) async throws {
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()
        let agentID = "kubebench-\(getpid())"
        let driverConfig = #"{"kubeconfig": "\#(kubeconfig)"}"#
        let agent = try Bench.spawnAgent(
            buildDirectory, url: endpoints.agentURL, agentID: agentID, key: apiKey,
            drivers: ["--driver", "kubernetes", "--driver-config", driverConfig,
                      "--max-cpu", "64", "--max-memory", "64Gi"])
        defer { agent.terminate(); agent.waitUntilExit() }
        try await controlPlane.waitFor("agent connected", timeout: .seconds(60)) { $0.agent(agentID)?.connected == true }
        try await Task.sleep(for: .seconds(2))
        let idleRSS = Bench.statusKiB(agent.processIdentifier, "VmRSS:")

        let library = try DriverLibrary.load(path: buildDirectory + "/libkubernetes.so")
        var driverLogger = Logger(label: "driver")
        driverLogger.logLevel = .error
        let driver = try await Driver.create(library, configuration: Array(driverConfig.utf8), logger: driverLogger)

        func request(_ user: String) -> SessionRequest {
            SessionRequest(agentId: agentID, user: user, template: "httpd", image: image, port: 8080,
                           cpu: cpu, memory: memory, persistentHome: false)
        }

        // What the driver makes for a session, kept as the direct client's templates.
        let sample = try await controlPlane.createSession(request("bench"))
        try await waitCompleted(controlPlane, sample.commandId, "the sample start")
        let templates = try await cluster.objects(ofSession: sample.sessionId)
        try await waitCompleted(controlPlane, try await controlPlane.deleteSession(sample.sessionId), "the sample stop")

        print("KubeBench: \(rounds) alternating rounds, image \(image), \(cpu) CPU, \(memory), one port, no home volume, API server \(cluster.server)")
        var throughAgent: [Double] = [], throughDriver: [Double] = [], direct: [Double] = []
        for round in -1..<rounds {  // round -1 warms every path up and is not counted
            var began = ContinuousClock.now
            let created = try await controlPlane.createSession(request("bench"))
            try await waitCompleted(controlPlane, created.commandId, "a start through the agent", poll: .microseconds(200))
            if round >= 0 { throughAgent.append(Bench.milliseconds(since: began)) }
            try await waitCompleted(controlPlane, try await controlPlane.deleteSession(created.sessionId), "a stop")

            let id = "bench-driver-\(round + 1)-\(getpid())"
            began = ContinuousClock.now
            _ = try await driver.start(SessionSpec(
                id: id, user: "bench", template: .init(name: "httpd", image: image, ports: [.init(name: "http", port: 8080)]),
                resources: try .init(cpu: cpu, memory: memory)))
            if round >= 0 { throughDriver.append(Bench.milliseconds(since: began)) }
            _ = try await driver.stop(StopRequest(sessionId: id))

            let name = "bench-rest-\(round + 1)-\(getpid())"
            began = ContinuousClock.now
            try await cluster.createAndWaitReady(templates, as: name)
            if round >= 0 { direct.append(Bench.milliseconds(since: began)) }
            try await cluster.deleteDeployment("ss-\(name)")
        }
        await driver.destroy()

        Bench.printStartLatency(baseline: "REST client directly", direct, driver: "driver runtime → Kubernetes driver", throughDriver,
                                agent: throughAgent)

        // Deleted by hand (a REST DELETE, as kubectl makes it) until the Control Plane knows.
        // The agent's own re-read of the platform is 30 s apart: figures well under it come
        // from the driver's pod watch.
        var podSeen: [Double] = [], deploymentSeen: [Double] = []
        for _ in 0..<rounds {
            let created = try await controlPlane.createSession(request("bench"))
            let id = created.sessionId
            let running = try await controlPlane.waitFor("running", timeout: .seconds(120)) { $0.session(id)?.state == "running" }
            guard let pod = running.session(id)?.platformMetadata?["podName"]?.stringValue else {
                print("no podName for \(id)")
                exit(1)
            }
            var began = ContinuousClock.now
            try await cluster.delete("/api/v1/namespaces/\(cluster.namespace)/pods/\(pod)")
            // The ReplicaSet replaces the pod: the Control Plane sees it go (no longer viewable, or
            // another pod), then the new one running.
            _ = try await controlPlane.waitFor("pod delete seen", timeout: .seconds(60), poll: .microseconds(200)) {
                $0.session(id)?.viewable != true || $0.session(id)?.state != "running"
                    || $0.session(id)?.platformMetadata?["podName"]?.stringValue != pod
            }
            podSeen.append(Bench.milliseconds(since: began))
            _ = try await controlPlane.waitFor("running again", timeout: .seconds(120)) {
                $0.session(id)?.state == "running" && $0.session(id)?.viewable == true
            }
            began = ContinuousClock.now
            try await cluster.deleteDeployment("ss-\(id)")
            _ = try await controlPlane.waitFor("deployment delete seen", timeout: .seconds(60), poll: .microseconds(200)) {
                $0.session(id)?.state == "terminated"
            }
            deploymentSeen.append(Bench.milliseconds(since: began))
        }
        print("\n2. Deleted by hand → Control Plane, ms  median     p90    best")
        print(Bench.row("kubectl delete pod → seen", podSeen))
        print(Bench.row("kubectl delete deployment → ended", deploymentSeen))
        print("   (goal ≤ 2000 ms; the agent re-reads the platform every 30 s: these come from the pod watch)")

        // 100 starts sent at once, then the agent's memory with them running.
        let count = 100
        var commands: [String] = [], sessions: [String] = []
        let began = ContinuousClock.now
        for index in 0..<count {
            let created = try await controlPlane.createSession(request("bench\(index)"))
            commands.append(created.commandId)
            sessions.append(created.sessionId)
        }
        let started = commands
        let done = try await controlPlane.waitFor("\(count) starts", timeout: .seconds(900), poll: .milliseconds(5)) { state in
            started.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        let wall = Bench.milliseconds(since: began)
        let failures = started.compactMap { done.command($0) }.filter { $0.state != .completed }
        try await Task.sleep(for: .seconds(2))
        let busyRSS = Bench.statusKiB(agent.processIdentifier, "VmRSS:")
        print("\n3. \(count) starts sent at once: all answered in \(String(format: "%.0f", wall)) ms (\(String(format: "%.1f", wall / Double(count))) ms a session), \(failures.count) failed")
        if let first = failures.first { print("   first failure: \(first.error ?? "?")") }
        print("\n4. Agent process with the Kubernetes driver loaded")
        print("   RSS idle \(Bench.mib(idleRSS)) MiB; with \(count) sessions \(Bench.mib(busyRSS)) MiB (\(Bench.memoryBreakdown(agent.processIdentifier))); peak \(Bench.mib(Bench.statusKiB(agent.processIdentifier, "VmHWM:"))) MiB")

        var stops: [String] = []
        for id in sessions { stops.append(try await controlPlane.deleteSession(id)) }
        let stopCommands = stops
        _ = try await controlPlane.waitFor("stops", timeout: .seconds(900), poll: .milliseconds(20)) { state in
            stopCommands.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        await controlPlane.stop()
    }

    static func waitCompleted(_ controlPlane: DevControlPlane, _ commandID: String, _ what: String,
                              poll: Duration = .milliseconds(5)) async throws {
        let state = try await controlPlane.waitFor(what, timeout: .seconds(180), poll: poll) {
            [.completed, .failed].contains($0.command(commandID)?.state)
        }
        guard state.command(commandID)?.state == .completed else {
            print("\(what) failed: \(state.command(commandID)?.error ?? "?")")
            exit(1)
        }
    }
}
