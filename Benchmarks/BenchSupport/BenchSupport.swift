import Foundation
import Glibc

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

    /// A /proc/<pid>/status figure in KiB ("VmRSS:", "VmHWM:").
    public static func statusKiB(_ pid: Int32, _ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    public static func mib(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}
