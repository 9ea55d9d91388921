/// What `agent driver-check` found: each check ran and passed or failed, or was skipped (and why).
public struct ConformanceReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        case passed
        case failed(String)
        case skipped(String)
    }

    public struct Result: Sendable {
        public var name: String
        /// The header rule (R1–R10) or section the check proves, when there is one.
        public var rule: String?
        public var outcome: Outcome
        public var seconds: Double
    }

    public var driverPath: String
    public var driverName: String
    public var results: [Result] = []

    public var passed: Int { results.filter { $0.outcome == .passed }.count }
    public var failed: Int { results.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var skipped: Int { results.filter { if case .skipped = $0.outcome { true } else { false } }.count }
    public var succeeded: Bool { failed == 0 }

    /// One line a check, then a summary line in the form test runners use.
    public func render() -> String {
        var lines = ["driver-check: \(driverName) (\(driverPath))"]
        for result in results {
            let rule = result.rule.map { " [\($0)]" } ?? ""
            let time = result.seconds >= 0.01 ? " (\(formatSeconds(result.seconds)))" : ""
            switch result.outcome {
            case .passed: lines.append("  PASS  \(result.name)\(rule)\(time)")
            case .failed(let why): lines.append("  FAIL  \(result.name)\(rule)\(time): \(why)")
            case .skipped(let why): lines.append("  SKIP  \(result.name): \(why)")
            }
        }
        lines.append("driver-check: \(passed) passed, \(failed) failed, \(skipped) skipped")
        return lines.joined(separator: "\n")
    }

    private func formatSeconds(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) s"
    }
}
