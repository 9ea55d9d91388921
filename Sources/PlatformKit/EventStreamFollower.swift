/// Keeps a platform's event stream open for as long as the calling task lives: when a stream
/// ends or fails (the daemon restarted, the socket went away) it is opened again, 1 s to 30 s
/// apart, the delay starting over once a stream opens. What happened while no stream was open
/// the agent's periodic look finds. Docker's /events and LXD's /1.0/events follow it alike.
public enum EventStreamFollower {
    /// - stream: opens one stream and reads it to its end; calls `opened` once it is open.
    /// - ended: told why each stream ended and when the next opens (for a debug line).
    public static func follow(initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30),
                              ended: (_ reason: String, _ retryIn: Duration) -> Void,
                              stream: (_ opened: () -> Void) async throws -> Void) async {
        var delay = initialDelay
        while !Task.isCancelled {
            var opened = false
            let reason: String
            do {
                try await stream { opened = true }
                reason = "it ended"
            } catch {
                reason = "\(error)"
            }
            if Task.isCancelled { return }
            if opened { delay = initialDelay }
            ended(reason, delay)
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, maxDelay)
        }
    }
}
