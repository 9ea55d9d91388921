import AgentHost
import BenchSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Glibc
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization
import WSClient

/// Monitor, Log, Report, measured (nothing asserted):
///   1. session_sync of 10,000 sessions (mock driver): encode time, bytes, frames; heartbeat
///      size with 0 and with 10,000 sessions;
///   2. log stream throughput through the agent (its own process, mock driver) to the dev
///      control plane, next to a raw WebSocket carrying the same bytes in the same run;
///   3. the agent's RSS with 100 followed log streams.
///
///     swift build -c release && .build/release/ReportBench
///     .build/release/ReportBench lean [WRITE_BYTES…]   # only the log path to the lean receiver
///                                                     # (for profiling; the mock's logWriteBytes)
///     .build/release/ReportBench docker   # a real container's log through the Docker driver
///                                         # (needs a Docker Engine: Scripts/docker-sandbox.sh up)
@main
struct ReportBench {
    static func main() async throws {
        Bench.quietLogs()
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        say("Monitor, Log, Report benchmark (\(buildDirectory.hasSuffix("release") ? "release" : "debug") build)")
        if CommandLine.arguments.dropFirst().first == "docker" {
            try await dockerLogs(buildDirectory: buildDirectory)
            return
        }
        if CommandLine.arguments.dropFirst().first == "lean" {
            for writeBytes in CommandLine.arguments.dropFirst(2).compactMap({ Int($0) }).nonEmpty ?? [0, 16384] {
                let rates = try await throughLeanReceiver(lines: 200_000, writeBytes: writeBytes, buildDirectory: buildDirectory, runs: 5)
                say("agent + mock (logWriteBytes \(writeBytes)) → a receiver that parses nothing: "
                    + rates.map { String(format: "%.0f", $0) }.joined(separator: ", ") + " MB/s")
            }
            return
        }

        // 1. session_sync
        let sessions = (0..<10_000).map { index in
            SessionStatus(sessionId: "user\(index % 500)-firefox-\(String(index, radix: 16))", state: .running,
                          endpoints: [Endpoint(name: "vnc", port: 3000, url: "http://203.0.113.7:\(20000 + index)")],
                          platformMetadata: ["workloadName": .string("ss-user\(index)-firefox"), "containerId": .string("0123456789ab")])
        }
        var encodeTimes: [Double] = []
        var bytes = 0, frames = 0
        for _ in 0..<10 {
            let began = ContinuousClock.now
            let messages = AgentMessage.sessionSync(revision: 1, sessions: sessions)
            let texts = messages.map { $0.encoded() }
            encodeTimes.append(Bench.milliseconds(since: began))
            bytes = texts.reduce(0) { $0 + $1.utf8.count }
            frames = texts.count
        }
        let heartbeat0 = AgentMessage.heartbeat(activeSessions: 0, capacity: .init(maxSessions: 10_000, cpu: "64", memory: "256Gi")).encoded().utf8.count
        let heartbeat10k = AgentMessage.heartbeat(activeSessions: 10_000, capacity: .init(maxSessions: 10_000, cpu: "64", memory: "256Gi")).encoded().utf8.count
        let endToEnd = try await syncEndToEnd(sessions: 10_000, buildDirectory: buildDirectory)
        say("\n1. session_sync of 10,000 sessions")
        say("   build + encode: median \(String(format: "%.1f", Bench.median(encodeTimes))) ms; \(bytes / 1024) KiB in \(frames) frames (each ≤ 512 KiB)")
        say("   agent (mock, in-process) connect → the dev control plane holds the whole list: \(String(format: "%.0f", endToEnd)) ms")
        say("   heartbeat: \(heartbeat0) bytes with 0 sessions, \(heartbeat10k) bytes with 10,000 (it carries a count, not a list)")

        // 2. and 3. through the agent as its own process
        let lines = 200_000
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane { $0.maxLogBytesPerRequest = 64 << 20 }
        let agentID = "reportbench-\(getpid())"
        let agent = try Bench.spawnAgent(buildDirectory, url: endpoints.agentURL, agentID: agentID, key: apiKey,
                                         drivers: ["--driver", "mock", "--driver-config", #"{"logLines": \#(lines), "logIntervalMs": 100}"#])
        defer { agent.terminate(); agent.waitUntilExit() }
        try await controlPlane.waitFor("connected", timeout: .seconds(30)) { $0.agent(agentID)?.connected == true }
        let rssFresh = Bench.statusKiB(agent.processIdentifier, "VmRSS:"), fresh = Bench.memoryBreakdown(agent.processIdentifier)
        let created = try await controlPlane.createSession(SessionRequest(agentId: agentID, user: "bench", template: "t"))
        _ = try await controlPlane.waitFor("started", timeout: .seconds(30)) { $0.command(created.commandId)?.state == .completed }

        var agentRates: [Double] = [], logBytes = 0
        for _ in 0..<3 {
            let began = ContinuousClock.now
            let request = try await controlPlane.requestLogs(sessionId: created.sessionId, LogsRequest(follow: false))
            // Polled without state snapshots: a snapshot copies every chunk held so far.
            var progress = await controlPlane.logProgress(requestId: request)
            while progress?.ended != true {
                try await Task.sleep(for: .milliseconds(1))
                progress = await controlPlane.logProgress(requestId: request)
            }
            let seconds = Bench.milliseconds(since: began) / 1000
            logBytes = progress?.bytes ?? 0
            agentRates.append(Double(logBytes) / seconds / 1e6)
        }
        let rawRates = try await rawWebSocket(bytes: logBytes, chunk: 48 * 1024, runs: 3)
        let batchedRates = try await throughLeanReceiver(lines: lines, writeBytes: 16384, buildDirectory: buildDirectory, runs: 3)
        let lineRates = try await throughLeanReceiver(lines: lines, writeBytes: 0, buildDirectory: buildDirectory, runs: 3)
        let agentRate = agentRates.max() ?? 0, rawRate = rawRates.max() ?? 0
        let batchedRate = batchedRates.max() ?? 0, lineRate = lineRates.max() ?? 0
        func rate(_ value: Double) -> String { String(format: "%.0f MB/s = %.2f× the raw WebSocket", value, value / rawRate) }
        say("\n2. Log stream throughput, \(logBytes / 1_000_000) MB (\(lines) lines), loopback ws, best of 3")
        say("   raw WebSocket, 48 KiB frames: \(String(format: "%.0f", rawRate)) MB/s")
        say("   agent + mock → a receiver that parses nothing (like the raw one):")
        say("     the mock writing up to 16 KiB of lines per log_write: \(rate(batchedRate)) (goal ≥ 0.5×)")
        say("     the mock writing one line per log_write:              \(rate(lineRate))")
        say("   agent + mock (line by line) → dev control plane (strict parsing, bookkeeping): \(rate(agentRate))")

        let rssBefore = Bench.statusKiB(agent.processIdentifier, "VmRSS:"), afterLogs = Bench.memoryBreakdown(agent.processIdentifier)
        var follows: [String] = []
        for _ in 0..<100 {
            follows.append(try await controlPlane.requestLogs(sessionId: created.sessionId, LogsRequest(follow: true, tailLines: 10)))
        }
        try await Task.sleep(for: .seconds(5))
        let rssFollowing = Bench.statusKiB(agent.processIdentifier, "VmRSS:")
        let open = follows
        let state = await controlPlane.state
        let flowing = open.filter { (state.logStream($0)?.chunks.count ?? 0) > 1 }.count
        say("\n3. 100 followed streams (a line every 100 ms each): agent RSS \(Bench.mib(rssBefore)) MiB → \(Bench.mib(rssFollowing)) MiB; \(flowing) streams delivering")
        say("   the agent when it connected: \(Bench.mib(rssFresh)) MiB (\(fresh)); after section 2's logs: \(afterLogs)")
        for request in follows { await controlPlane.cancelLogs(requestId: request) }
        await controlPlane.stop()
    }

    /// An agent (in this process, mock driver) with `sessions` sessions connects; how long until
    /// the dev control plane holds the whole session_sync.
    static func syncEndToEnd(sessions count: Int, buildDirectory: String) async throws -> Double {
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()
        let library = try DriverLibrary.load(path: buildDirectory + "/libmock.so")
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let driver = try await Driver.create(library, configuration: Array(#"{"maxSessions": 20000, "logLines": 0}"#.utf8), logger: logger)
        for index in 0..<count {
            _ = try await driver.start(SessionSpec(id: "sync-\(index)", user: "bench",
                                                   template: .init(image: "busybox", ports: [.init(name: "vnc", port: 3000)])))
        }
        let link = AgentLink(configuration: LinkConfiguration(
            controlPlaneURL: endpoints.agentURL, agentID: "sync-bench", apiKey: apiKey, platform: "docker",
            region: "bench", capacity: .init(maxSessions: 20_000, cpu: "64", memory: "256Gi")), driver: driver, logger: logger)
        let began = ContinuousClock.now
        let task = Task { try await link.run() }
        _ = try await controlPlane.waitFor("sync", timeout: .seconds(120), poll: .milliseconds(2)) { state in
            (state.sessionSyncs.first { $0.agentId == "sync-bench" }?.sessions.arrayValue?.count ?? 0) >= count
        }
        let elapsed = Bench.milliseconds(since: began)
        task.cancel()
        _ = await task.result
        for index in 0..<count { _ = try? await driver.stop(StopRequest(sessionId: "sync-\(index)")) }
        await driver.destroy()
        await controlPlane.stop()
        return elapsed
    }

    /// The agent (in this process, mock driver) streaming a log to a Control Plane that approves
    /// anything and only counts log_chunk bytes, noticing log_end by a substring: the agent's
    /// own cost, as the raw WebSocket's server costs nothing either. MB/s of log data per run.
    static func throughLeanReceiver(lines: Int, writeBytes: Int, buildDirectory: String, runs: Int) async throws -> [Double] {
        let library = try DriverLibrary.load(path: buildDirectory + "/libmock.so")
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let driver = try await Driver.create(library, configuration: Array(#"{"logLines": \#(lines), "logWriteBytes": \#(writeBytes)}"#.utf8), logger: logger)
        _ = try await driver.start(SessionSpec(id: "lean-logs", user: "bench", template: .init(image: "busybox")))
        let rates = try await throughLeanReceiver(driver: driver, sessionID: "lean-logs", runs: runs)
        _ = try? await driver.stop(StopRequest(sessionId: "lean-logs"))
        await driver.destroy()
        return rates
    }

    /// The same with any driver and session, whose whole log is read on each run.
    /// The benchmark's servers are stopped by cancelling them, which Hummingbird logs as errors.
    static var serverLogger: Logger {
        var logger = Logger(label: "bench-server")
        logger.logLevel = .critical
        return logger
    }

    static func throughLeanReceiver(driver: Driver, sessionID: String, runs: Int) async throws -> [Double] {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let received = Atomic<Int>(0), ended = Atomic<Int>(0)
        let outboundBox = Mutex<WebSocketOutboundWriter?>(nil)
        let router = Bench.leanRouter()
        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        wsRouter.ws(RouterPath(stringLiteral: Registration.connectPath)) { inbound, outbound, _ in
            outboundBox.withLock { $0 = outbound }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if Bench.offset(after: #""type":"log_chunk""#, in: text) != nil {
                    received.add(text.utf8.count, ordering: .relaxed)
                } else if Bench.offset(after: #""type":"log_end""#, in: text) != nil {
                    ended.add(1, ordering: .relaxed)
                }
            }
        }
        let portBox = Mutex<Int?>(nil)
        let app = Application(router: router, server: .http1WebSocketUpgrade(webSocketRouter: wsRouter, configuration: .init(ws: .init(maxFrameSize: 1 << 20))),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } },
                              logger: Self.serverLogger)
        let server = Task { try await app.runService() }
        while portBox.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        let port = portBox.withLock { $0 }!

        let link = AgentLink(configuration: LinkConfiguration(
            controlPlaneURL: "ws://127.0.0.1:\(port)", agentID: "lean-bench", apiKey: String(repeating: "a", count: 64),
            platform: "docker", region: "bench", capacity: .init(maxSessions: 10, cpu: "4", memory: "8Gi")), driver: driver, logger: logger)
        let agent = Task { try await link.run() }
        while outboundBox.withLock({ $0 }) == nil || link.state != .connected { try await Task.sleep(for: .milliseconds(10)) }
        let outbound = outboundBox.withLock { $0 }!
        var rates: [Double] = []
        for run in 0..<runs {
            received.store(0, ordering: .relaxed)
            let before = ended.load(ordering: .relaxed)
            let began = ContinuousClock.now
            let request = Message(type: "logs_request", payload: .object([
                "requestId": .string("lean-\(run)"), "sessionId": .string(sessionID), "follow": .bool(false)]))
            try await outbound.write(.text(request.encoded()))
            while ended.load(ordering: .relaxed) == before { try await Task.sleep(for: .microseconds(200)) }
            let seconds = Bench.milliseconds(since: began) / 1000
            // Frame bytes, as the raw WebSocket's are counted (within 3 % of the log's own bytes).
            rates.append(Double(received.load(ordering: .relaxed)) / seconds / 1e6)
        }
        agent.cancel()
        _ = await agent.result
        server.cancel()
        _ = await server.result
        return rates
    }

    /// A real container's log (200,000 lines, which Docker keeps and serves a line per frame)
    /// read four ways: the docker CLI, the Docker driver through the runtime, the agent to the
    /// lean receiver, and the same bytes over a raw WebSocket.
    static func dockerLogs(buildDirectory: String) async throws {
        let lines = 200_000
        let base = ProcessInfo.processInfo.environment["STREAMSPACE_TEST_IMAGE"] ?? "streamspace-test/httpd:2"
        let image = "streamspace-bench/logs:1"
        // The test image with a first act that prints the lines (commit: no registry, no build).
        let created = Bench.docker(["create", base])
        guard created.status == 0 else { say("docker create \(base) failed: \(created.stderr)"); return }
        let container = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = "seq 1 \(lines) | sed 's/$/ streamspace benchmark log line 0123456789 abcdefghijklmnopqrstuvwxyz/'; exec httpd -f -p 8080 -h /config"
        let committed = Bench.docker(["commit", "--change", #"CMD ["/bin/sh", "-c", "\#(script)"]"#, container, image])
        _ = Bench.docker(["rm", container])
        guard committed.status == 0 else { say("docker commit failed: \(committed.stderr)"); return }

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let driver = try await Driver.create(try DriverLibrary.load(path: buildDirectory + "/libdocker.so"), logger: logger)
        let id = "logbench-\(getpid())"
        let status = try await driver.start(SessionSpec(id: id, user: "bench", template: .init(image: image, ports: [.init(name: "http", port: 8080)])))
        defer { _ = Bench.docker(["rm", "-f", "-v", status.platformMetadata["workloadName"]?.stringValue ?? "ss-\(id)"]) }
        var whole: [UInt8] = []
        for _ in 0..<100 {  // until the container has printed everything
            whole = await driver.openLogs(LogRequest(sessionId: id)).collect().bytes
            if whole.count > 0, String(decoding: whole.suffix(200), as: UTF8.self).contains("\n\(lines) streamspace") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let bytes = whole.count
        var cliRates: [Double] = [], runtimeRates: [Double] = []
        for _ in 0..<3 {
            var began = ContinuousClock.now
            _ = Bench.docker(["logs", "ss-\(id)"], keepOutput: false)
            cliRates.append(Double(bytes) / (Bench.milliseconds(since: began) / 1000) / 1e6)
            began = ContinuousClock.now
            let read = await driver.openLogs(LogRequest(sessionId: id)).collect().bytes.count
            runtimeRates.append(Double(read) / (Bench.milliseconds(since: began) / 1000) / 1e6)
        }
        let agentRates = try await throughLeanReceiver(driver: driver, sessionID: id, runs: 3)
        let rawRates = try await rawWebSocket(bytes: bytes, chunk: 48 * 1024, runs: 3)
        _ = try? await driver.stop(StopRequest(sessionId: id, deleteVolumes: true))
        await driver.destroy()
        let raw = rawRates.max() ?? 0
        func row(_ label: String, _ rates: [Double]) -> String {
            let best = rates.max() ?? 0
            return "   " + label.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%4.0f MB/s = %.2f× the raw WebSocket", best, best / raw)
        }
        say("\nA container's log through the Docker driver: \(bytes / 1_000_000) MB, \(lines) lines, best of 3")
        say(row("docker logs (the CLI, to /dev/null)", cliRates))
        say(row("the Docker driver through the runtime (no link)", runtimeRates))
        say(row("the agent → a receiver that parses nothing", agentRates))
        say(row("raw WebSocket, 48 KiB frames", rawRates))
    }

    /// The same bytes over a bare WebSocket (loopback ws, the agent's client library, a server
    /// that only counts): MB/s per run.
    static func rawWebSocket(bytes: Int, chunk: Int, runs: Int) async throws -> [Double] {
        let received = Atomic<Int>(0)
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/sink") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                if text == "END" {
                    try await outbound.write(.text("OK"))
                } else {
                    received.add(text.utf8.count, ordering: .relaxed)
                }
            }
        }
        let portBox = Mutex<Int?>(nil)
        let appWithPort = Application(router: Router(), server: .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(ws: .init(maxFrameSize: 1 << 20))),
                                      configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } },
                                      logger: Self.serverLogger)
        let server = Task { try await appWithPort.runService() }
        while portBox.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        let port = portBox.withLock { $0 }!
        let payload = String(repeating: "streamspace log line 0123456789 abcdefghijklmnopqrstuvwxyz\n", count: chunk / 60)
        var rates: [Double] = []
        for _ in 0..<runs {
            received.store(0, ordering: .relaxed)
            var logger = Logger(label: "raw")
            logger.logLevel = .error
            let began = ContinuousClock.now
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/sink", configuration: .init(maxFrameSize: 1 << 20),
                                              logger: logger) { inbound, outbound, _ in
                var sent = 0
                while sent < bytes {
                    try await outbound.write(.text(payload))
                    sent += payload.utf8.count
                }
                // The server answers OK once it has read everything before END.
                try await outbound.write(.text("END"))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text("OK") = message { break }
                }
            }
            rates.append(Double(bytes) / (Bench.milliseconds(since: began) / 1000) / 1e6)
        }
        server.cancel()
        _ = await server.result
        return rates
    }
}

extension Array {
    var nonEmpty: Self? { isEmpty ? nil : self }
}

/// Unbuffered: each figure appears as soon as it is measured.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
