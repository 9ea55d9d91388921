import Synchronization

/// An operation that did not finish in time: for a driver, a reply that never came (R2).
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "\(what): no answer within \(seconds) s" }
}

/// Runs `body` with a deadline. Unlike a task group, it does not wait for a body that never
/// returns (a driver that never replies): that task is abandoned, and the deadline wins.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let pending = Mutex<CheckedContinuation<T, any Error>?>(continuation)
        let finish: @Sendable (Result<T, any Error>) -> Void = { result in
            pending.withLock { slot in
                slot?.resume(with: result)
                slot = nil
            }
        }
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            // Cancel first: the abandoned body must stop before the caller goes on.
            work.cancel()
            finish(.failure(DeadlineExceeded(what: what, seconds: seconds)))
        }
    }
}
