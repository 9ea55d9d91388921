import Synchronization

/// The real server's limit on the agent routes: N requests per minute per client IP
/// (a sliding window). Over the limit: 429 `{"retryAfter":60}`.
final class RateLimiter: Sendable {
    private let limit: Int
    private let window: Duration
    private let requests = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(perMinute limit: Int, window: Duration = .seconds(60)) {
        self.limit = limit
        self.window = window
    }

    /// Counts one request from `ip`; false when it is over the limit (0 = no limit).
    func allow(_ ip: String) -> Bool {
        guard limit > 0 else { return true }
        let now = ContinuousClock.now
        return requests.withLock { table in
            var times = table[ip, default: []]
            times.removeAll { now - $0 >= window }
            guard times.count < limit else {
                table[ip] = times
                return false
            }
            times.append(now)
            table[ip] = times
            // Forget idle clients so the table does not grow without bound.
            if table.count > 10_000 { table = table.filter { !$0.value.isEmpty && now - $0.value.last! < window } }
            return true
        }
    }
}
