import AgentHost
import BenchSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging

/// The Control Plane link's figures, printed (nothing asserted):
///   1. command round trip (send → `complete`) through agent + mock driver over loopback wss,
///      next to a raw WebSocket echo of the same messages in the same run;
///   2. idle agent RSS and CPU with one driver loaded;
///   3. process start → connected.
///
///     swift build -c release && .build/release/LinkBench
///     .build/release/LinkBench lean [ROUNDS]   # only the agent through the lean Control Plane (profiling)
@main
struct LinkBench {
    static func main() async throws {
        Bench.quietLogs()
        let buildDirectory = ProcessEnvironment.executableDirectory()!
        print("Control Plane link benchmark (\(buildDirectory.hasSuffix("release") ? "release" : "debug") build)")
        let pki = try Certificates()
        if CommandLine.arguments.dropFirst().first == "lean" {
            // Only the agent through the lean Control Plane (for profiling).
            let rounds = CommandLine.arguments.dropFirst(2).first.flatMap { Int($0) } ?? 200
            let (sequential, parallel) = try await AgentUnderTest.measureLean(
                buildDirectory: buildDirectory, pki: pki, sequential: 2000, inFlight: 64, rounds: rounds, runs: 1)
            print(Report.row("agent + mock through the lean Control Plane", sequential))
            print("   throughput, 64 in flight: \(Report.rate(parallel)) commands/s")
            return
        }

        let echo = try await EchoServer.start(certificate: pki.certificate, key: pki.key)
        let agent = try await AgentUnderTest.start(buildDirectory: buildDirectory, pki: pki)

        // Throughput: 200 rounds of 64 (12,800 messages, about half a second), best of 3 for
        // every contender alike, so that a moment of noise on the machine decides nothing.
        let sequential = 2000, concurrent = 64, concurrentRounds = 200, runs = 3
        let sample = agent.commandMessage(sessionIndex: 0)
        let echoSequential = try await echo.roundTrips(sample, count: sequential, caFile: pki.certificate)
        let agentSequential = try await agent.roundTrips(count: sequential)
        var echoParallel = 0.0, tripleParallel = 0.0, agentParallel = 0.0
        for _ in 0..<runs {
            echoParallel = max(echoParallel, try await echo.throughput(sample, inFlight: concurrent, rounds: concurrentRounds, caFile: pki.certificate))
            tripleParallel = max(tripleParallel, try await echo.throughput(sample, inFlight: concurrent, rounds: concurrentRounds,
                                                                           caFile: pki.certificate, triple: true))
            agentParallel = max(agentParallel, try await agent.throughput(inFlight: concurrent, rounds: concurrentRounds))
        }
        let tripleSequential = try await echo.roundTrips(sample, count: sequential, caFile: pki.certificate, triple: true)
        await agent.stop()
        let (leanSequential, leanParallel) = try await AgentUnderTest.measureLean(
            buildDirectory: buildDirectory, pki: pki, sequential: sequential, inFlight: concurrent, rounds: concurrentRounds, runs: runs)
        let stateDirectory = NSTemporaryDirectory() + "linkbench-state-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: stateDirectory) }
        let (journalSequential, journalParallel) = try await AgentUnderTest.measureLean(
            buildDirectory: buildDirectory, pki: pki, sequential: sequential, inFlight: concurrent, rounds: concurrentRounds, runs: runs,
            stateDirectory: stateDirectory)
        await echo.stop()

        print("\n1. Command round trip, \(sample.utf8.count)-byte command, loopback wss; throughput with \(concurrent) in flight, best of \(runs)")
        print(Report.row("raw WebSocket echo, one at a time", echoSequential))
        print("     throughput: \(Report.rate(echoParallel)) msg/s")
        print("   agent + mock (ack, status, complete) through a lean Control Plane that parses nothing,")
        print("   as lean as the echo server: the agent's own cost")
        print(Report.row("  one at a time", leanSequential))
        print("     throughput: \(Report.rate(leanParallel)) commands/s = \(Report.ratio(leanParallel, echoParallel))× the echo (goal ≥ 0.5×); "
              + "p99 \(Report.ratio(leanSequential.p99, echoSequential.p99))× the echo (goal ≤ 2×)")
        print("   the same with --state-dir: every command journalled (begun, verdict) and fsync'd, in groups")
        print(Report.row("  one at a time", journalSequential))
        print("     throughput: \(Report.rate(journalParallel)) commands/s = \(Report.ratio(journalParallel, echoParallel))× the echo; "
              + "\(Report.ratio(journalParallel, leanParallel))× without the journal")
        print("   the same through the dev control plane, which decodes and records every message as")
        print("   strictly as the real server (its own cost included)")
        print(Report.row("  one at a time", agentSequential))
        print("     throughput: \(Report.rate(agentParallel)) commands/s = \(Report.ratio(agentParallel, echoParallel))× the echo; "
              + "p99 \(Report.ratio(agentSequential.p99, echoSequential.p99))× the echo")
        print("   the protocol's own frame count, without the agent: 1 message in, 3 answers out (ack/status/complete sizes)")
        print(Report.row("one-in-three-out echo, one at a time", tripleSequential))
        print("     throughput: \(Report.rate(tripleParallel)) exchanges/s; the agent (lean) reaches \(Report.ratio(leanParallel, tripleParallel))× of it")

        let process = try await AgentProcess.measure(buildDirectory: buildDirectory)
        print("\n2. Idle agent process (mock driver loaded, connected, \(process.idleSeconds) s)")
        print("   RSS \(process.rssMiB) MiB (goal ≤ 15 MB); CPU \(process.cpuPercent) % of one core (goal ≤ 0.1 %)")
        print("   RSS = \(process.memoryBreakdown)")
        print("   \(process.sharing)")
        print("\n3. Process start → connected (control plane already up), \(process.startTimes.count) runs")
        print("   median \(process.startMedianMs) ms, best \(process.startBestMs) ms (goal ≤ 100 ms)")
    }
}

/// Latency samples in microseconds.
struct Latencies {
    var microseconds: [Double]
    var p50: Double { percentile(0.50) }
    var p99: Double { percentile(0.99) }
    var perSecond: Double { Double(microseconds.count) / (microseconds.reduce(0, +) / 1e6) }

    func percentile(_ q: Double) -> Double {
        let sorted = microseconds.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }
}

enum Report {
    static func row(_ label: String, _ latencies: Latencies) -> String {
        "   " + label.padding(toLength: 56, withPad: " ", startingAt: 0)
            + "p50 \(format(latencies.p50)) µs  p99 \(format(latencies.p99)) µs  (\(rate(latencies.perSecond))/s)"
    }

    static func format(_ value: Double) -> String { String(Int(value.rounded())) }
    static func rate(_ value: Double) -> String { String(Int(value.rounded())) }
    static func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2f", a / b) }
}

func microseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
}
