import Foundation
import Glibc
@_exported import ProcessKit

/// What the platform benchmarks share: the agent as its own process, its memory, timing and
/// the table rows they print.
public enum Bench {
    /// `agent run` with these drivers against a control plane, as an operator runs it.
    public static func spawnAgent(_ buildDirectory: String, url: String, agentID: String, key: String,
                                  drivers: [String], environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: buildDirectory + "/agent")
        process.arguments = ["run", "--control-plane-url", url, "--agent-id", agentID, "--max-sessions", "100",
                             "--log-level", "error", "--state-dir", NSTemporaryDirectory() + "bench-state-\(getpid())"] + drivers
        process.environment = ["AGENT_API_KEY": key, "PATH": "/usr/bin:/bin"].merging(extra) { _, given in given }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The docker CLI, run to completion (a failure to start it is status -1).
    public static func docker(_ arguments: [String], keepOutput: Bool = true) -> ProcessRunner.Result {
        let path = FileManager.default.isExecutableFile(atPath: "/usr/bin/docker") ? "/usr/bin/docker" : "/usr/local/bin/docker"
        do {
            return try ProcessRunner.run(path, arguments, keepOutput: keepOutput)
        } catch {
            return ProcessRunner.Result(status: -1, stdout: "", stderr: "\(error)")
        }
    }

    public static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }

    public static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// "label   median  p90  best" in milliseconds.
    public static func row(_ label: String, _ values: [Double]) -> String {
        let sorted = values.sorted()
        let p90 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)]
        func f(_ v: Double) -> String { String(format: "%7.1f", v) }
        return "   \(label.padding(toLength: 34, withPad: " ", startingAt: 0))\(f(median(values)))\(f(p90))\(f(sorted[0]))"
    }

    /// The start-latency table every platform benchmark prints: the platform's own client as
    /// the baseline, then the driver runtime and the whole agent path, and their ratios to it.
    public static func printStartLatency(baseline: String, _ base: [Double], driver: String, _ throughDriver: [Double],
                                         agent throughAgent: [Double], goal: String = "goal ≤ 1.10×") {
        print("\n1. Start-session latency, ms          median     p90    best")
        print(row(baseline, base))
        print(row(driver, throughDriver))
        print(row("Control Plane → agent → driver", throughAgent))
        print("   ratio agent path / \(baseline) (median): \(String(format: "%.2f", median(throughAgent) / median(base)))×   \(goal)")
        print("   ratio driver runtime / \(baseline) (median): \(String(format: "%.2f", median(throughDriver) / median(base)))×")
    }

    /// A /proc/<pid>/status figure in KiB ("VmRSS:", "VmHWM:").
    public static func statusKiB(_ pid: Int32, _ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    public static func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }

    /// A /proc/<pid>/smaps_rollup figure in KiB ("Rss:", "Pss:", "Private_Dirty:"…).
    public static func smapsKiB(_ pid: Int32, _ field: String) -> Int {
        guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
              let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }

    /// What a process's RSS is made of: anonymous memory (heap, stacks, written data) and file
    /// pages (the code and read-only data of the binary and its libraries, which the kernel
    /// shares among every process mapping them and can drop and read again under pressure).
    public static func memoryBreakdown(_ pid: Int32) -> String {
        let rss = smapsKiB(pid, "Rss:"), anonymous = smapsKiB(pid, "Anonymous:")
        return "anonymous \(mib(anonymous)) MiB + file pages \(mib(rss - anonymous)) MiB"
    }

    /// The UTF-8 byte offset just past the first `needle` in `text`. The lean receivers
    /// look for a message's type with this: Foundation's `contains` converts the whole text to
    /// UTF-16 first, which made the receiver, not the agent, the slowest part of the run.
    public static func offset(after needle: String, in text: String) -> Int? {
        var text = text, needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { needle -> Int? in
                guard let base = haystack.baseAddress, let key = needle.baseAddress, !needle.isEmpty else { return nil }
                var from = 0
                // memchr for the first byte, memcmp for the rest (Glibc does not export memmem).
                while haystack.count - from >= needle.count,
                      let hit = memchr(base + from, Int32(key[0]), haystack.count - from - needle.count + 1) {
                    let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + at, key, needle.count) == 0 { return at + needle.count }
                    from = at + 1
                }
                return nil
            }
        }
    }

    /// The string value that starts at byte `offset` and ends before the next quote.
    public static func stringValue(in text: String, at offset: Int) -> String? {
        let bytes = text.utf8.dropFirst(offset)
        guard let end = bytes.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(text.utf8[bytes.startIndex..<end])
    }
}
