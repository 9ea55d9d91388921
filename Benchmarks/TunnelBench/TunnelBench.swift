import AgentHost
import BenchSupport
import DevControlPlane
import DriverModel
import Foundation
import Logging

/// The session tunnel's figures, printed (nothing asserted), each beside the same request made
/// directly to the session in the same run:
///   1. throughput of one 100 MiB download: direct, through a tunnel stream, through the viewer;
///   2. latency of a small request on a new connection (a browser's page load, one asset);
///   3. 100 streams at once, 4 MiB each;
///   4. 100 idle streams and one whose reader stalls: memory held, and requests beside them.
/// The control plane (wss), the agent (mock driver) and the session's loopback server all run
/// in this process: the figures are the tunnel's cost on one machine, both ends included.
///
///     swift build -c release --product TunnelBench && swift build -c release --product mock
///     .build/release/TunnelBench
///     .build/release/TunnelBench download [COUNT]   # only tunnel downloads (profiling)
@main
struct TunnelBench {
    static let agentId = "tunnel-bench"
    static let sessionPort = 3000

    static func main() async throws {
        Bench.quietLogs()
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        print("Session tunnel benchmark (\(buildDirectory.hasSuffix("release") ? "release" : "debug") build; control plane, agent and session in one process, loopback)")
        let rig = try await Rig.start(buildDirectory: buildDirectory)
        defer { Task { await rig.stop() } }
        if CommandLine.arguments.dropFirst().first == "download" {
            // Only tunnel downloads, for a profiler: `perf record -g .build/release/TunnelBench download 20`.
            let count = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 10
            let size = 100 * 1024 * 1024
            for _ in 0..<count {
                let seconds = try await best(1) { try await rig.tunnel("/bytes/\(size)") }
                print(rate("tunnel stream", size, seconds))
            }
            return
        }

        // 1. Throughput: best of 3 for each way, so that a moment of noise decides nothing.
        let size = 100 * 1024 * 1024
        print("\n1. one download of \(size >> 20) MiB (best of 3)")
        let direct = try await best(3) { try await Fetch.tcp(port: rig.server.port, path: "/bytes/\(size)") }
        let tunnel = try await best(3) { try await rig.tunnel("/bytes/\(size)") }
        let viewer = try await best(3) { try await rig.viewer("/bytes/\(size)") }
        print(rate("direct to the session", size, direct))
        print(rate("tunnel stream", size, tunnel, baseline: direct))
        print(rate("viewer (HTTP → tunnel)", size, viewer, baseline: direct))

        // 2. Latency of a small request on a new connection.
        let rounds = 300
        print("\n2. a small request on a new connection (\(rounds) each; median, p99 in ms)")
        let directSmall = try await samples(rounds) { try await Fetch.tcp(port: rig.server.port, path: "/small") }
        let tunnelSmall = try await samples(rounds) { try await rig.tunnel("/small") }
        let viewerSmall = try await samples(rounds) { try await rig.viewer("/small") }
        print(latency("direct to the session", directSmall))
        print(latency("tunnel stream (open + request + answer)", tunnelSmall, baseline: directSmall))
        print(latency("viewer (HTTP → tunnel)", viewerSmall, baseline: directSmall))

        // 3. Many streams at once.
        let streams = 100, each = 4 * 1024 * 1024
        print("\n3. \(streams) streams at once, \(each >> 20) MiB each")
        let directMany = try await concurrently(streams) { try await Fetch.tcp(port: rig.server.port, path: "/bytes/\(each)") }
        let tunnelMany = try await concurrently(streams) { try await rig.tunnel("/bytes/\(each)") }
        print(rate("direct, \(streams) connections", streams * each, directMany.seconds) + "  failed \(directMany.failed)")
        print(rate("tunnel, \(streams) streams", streams * each, tunnelMany.seconds, baseline: directMany.seconds)
              + "  failed \(tunnelMany.failed)")

        // 4. 100 open streams (connected, idle) and one whose reader stalls while the session
        //    floods it: what the process holds must stay bounded by the windows.
        print("\n4. 100 idle open streams and one whose reader stalls for 5 s while the session sends without end")
        let rssBefore = Bench.statusKiB(getpid(), "VmRSS:")
        var idle: [TunnelStream] = []
        for _ in 0..<100 {
            idle.append(try await rig.controlPlane.openTunnel(agentId: agentId, sessionId: rig.sessionId, port: sessionPort))
        }
        let stalled = try await rig.controlPlane.openTunnel(agentId: agentId, sessionId: rig.sessionId, port: sessionPort)
        try await stalled.write(Fetch.request("/flood"))
        var beside: [Double] = []
        let until = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < until {
            let start = ContinuousClock.now
            _ = try await rig.tunnel("/small")
            beside.append(Bench.milliseconds(since: start))
        }
        let rssStalled = Bench.statusKiB(getpid(), "VmRSS:")
        let open = await rig.controlPlane.openTunnelCount(agentId: agentId)
        var firstPiece = 0
        for try await chunk in stalled.inbound {
            firstPiece = chunk.readableBytes
            break
        }
        stalled.reset("benchmark over")
        for stream in idle { stream.reset("benchmark over") }
        print("   \(open) streams open; process RSS (control plane, agent and session together) before \(Bench.mib(rssBefore)) MiB,"
              + " after 5 s \(Bench.mib(rssStalled)) MiB: growth \(Bench.mib(max(0, rssStalled - rssBefore))) MiB"
              + " (the windows allow 256 KiB each way per stream)")
        print("   the stalled stream still delivers when read: first piece \(firstPiece) bytes")
        print(latency("small request beside them (\(beside.count) done)", beside, baseline: directSmall))
    }

    // MARK: Figures

    static func best(_ runs: Int, _ body: @Sendable () async throws -> Fetch.Answer) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            _ = try await body()
            times.append(Bench.milliseconds(since: start) / 1000)
        }
        return times.min()!
    }

    static func samples(_ count: Int, _ body: @Sendable () async throws -> Fetch.Answer) async throws -> [Double] {
        var times: [Double] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            _ = try await body()
            times.append(Bench.milliseconds(since: start))
        }
        return times
    }

    static func concurrently(_ count: Int, _ body: @escaping @Sendable () async throws -> Fetch.Answer) async throws -> (seconds: Double, failed: Int) {
        let start = ContinuousClock.now
        let failed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count { group.addTask { (try? await body()) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        return (Bench.milliseconds(since: start) / 1000, failed)
    }

    static func rate(_ label: String, _ bytes: Int, _ seconds: Double, baseline: Double? = nil) -> String {
        let mbps = Double(bytes) / seconds / 1e6
        let ratio = baseline.map { String(format: "  %.2f× direct", $0 / seconds) } ?? ""
        return "   " + label.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%9.1f MB/s", mbps) + ratio
    }

    static func latency(_ label: String, _ values: [Double], baseline: [Double]? = nil) -> String {
        let sorted = values.sorted()
        let median = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
        let added = baseline.map { base in
            String(format: "  +%.2f ms median over direct", median - base.sorted()[base.count / 2])
        } ?? ""
        return "   " + label.padding(toLength: 44, withPad: " ", startingAt: 0) + String(format: "%7.2f %7.2f", median, p99) + added
    }
}

/// The control plane, the agent with the mock driver, one running session and its server.
struct Rig: Sendable {
    let controlPlane: DevControlPlane
    let endpoints: DevControlPlaneEndpoints
    let link: AgentLink
    let linkTask: Task<Void, any Error>
    let sessionId: String
    let server: SessionServer

    static func start(buildDirectory: String) async throws -> Rig {
        let pki = try Certificates()
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane {
            $0.tls = .init(certificateFile: pki.certificate, privateKeyFile: pki.key)
        }
        var quiet = Logger(label: "agent")
        quiet.logLevel = .error
        let driver = try await Driver.create(try DriverLibrary.load(path: buildDirectory + "/libmock.so"), logger: quiet)
        var configuration = LinkConfiguration(controlPlaneURL: "wss://localhost:\(endpoints.agentPort)", agentID: TunnelBench.agentId,
                                              apiKey: apiKey, platform: "docker", region: "bench",
                                              capacity: .init(maxSessions: 10, cpu: "2", memory: "8Gi"))
        configuration.tls.caFile = pki.certificate
        let link = AgentLink(configuration: configuration, driver: driver, logger: quiet)
        let linkTask = Task { try await link.run() }
        try await controlPlane.waitFor("connected", timeout: .seconds(30)) { $0.agent(TunnelBench.agentId)?.connected == true }

        let created = try await controlPlane.createSession(SessionRequest(agentId: TunnelBench.agentId, user: "bench", template: "bench",
                                                                          image: "busybox", port: TunnelBench.sessionPort))
        try await controlPlane.waitFor("running", timeout: .seconds(30)) { $0.session(created.sessionId)?.state == "running" }
        // The mock publishes the port on a loopback host port it picks: serve that port.
        let status = try await driver.session(created.sessionId)
        guard let url = status.endpoints.first(where: { $0.port == TunnelBench.sessionPort })?.url,
              let port = url.split(separator: ":").last.flatMap({ Int($0.prefix { $0.isNumber }) }) else {
            throw BenchFailure("the mock published no URL for port \(TunnelBench.sessionPort): \(status.endpoints)")
        }
        let server: SessionServer
        do {
            server = try await SessionServer(port: port)
        } catch {
            throw BenchFailure("cannot serve the session's published port \(port) on 127.0.0.1 (\(error)); is something else on it?")
        }
        return Rig(controlPlane: controlPlane, endpoints: endpoints, link: link, linkTask: linkTask,
                   sessionId: created.sessionId, server: server)
    }

    func tunnel(_ path: String) async throws -> Fetch.Answer {
        try await Fetch.tunnel(controlPlane, agentId: TunnelBench.agentId, sessionId: sessionId, port: TunnelBench.sessionPort, path: path)
    }

    func viewer(_ path: String) async throws -> Fetch.Answer {
        try await Fetch.tcp(port: endpoints.viewerPort, path: "/sessions/\(sessionId)" + path)
    }

    func stop() async {
        linkTask.cancel()
        await server.stop()
        await controlPlane.stop()
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
