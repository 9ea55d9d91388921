/// A Prometheus histogram of durations in seconds: cumulative buckets, sum and count.
public struct Histogram: Sendable, Equatable {
    /// From a millisecond (a driver call on a local platform) to two minutes (a session start).
    public static let bucketBounds: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    public private(set) var counts = [Int](repeating: 0, count: Histogram.bucketBounds.count)
    public private(set) var sum = 0.0
    public private(set) var count = 0

    public init() {}

    public mutating func record(_ duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        sum += seconds
        count += 1
        for (index, bound) in Self.bucketBounds.enumerated() where seconds <= bound { counts[index] += 1 }
    }

    /// The exposition lines of this histogram for `name` with `labels` ("a=\"b\"" pairs).
    func lines(_ name: String, labels: String) -> [String] {
        let prefix = labels.isEmpty ? "" : labels + ","
        var lines = zip(Self.bucketBounds, counts).map { bound, count in
            "\(name)_bucket{\(prefix)le=\"\(bound)\"} \(count)"
        }
        lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)")
        lines.append("\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(sum)")
        lines.append("\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(count)")
        return lines
    }
}
