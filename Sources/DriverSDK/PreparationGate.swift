import DriverModel
import Synchronization

/// Runs a driver's `prepare()` — its asynchronous start: logging in, discovering the platform's
/// API — once, in the background, and makes every operation wait for it. `create` cannot wait: it
/// is a synchronous C call, and a platform that takes seconds to answer must not hold the host.
///
/// A preparation that fails for a reason that can pass by itself (a retryable code: the
/// platform is not there yet) is tried again by the next operation, so a driver loaded before its
/// platform came up recovers without a restart. Any other failure is final and every operation
/// reports it.
final class PreparationGate: Sendable {
    private enum State {
        case idle
        case running(Task<Result<Void, DriverError>, Never>)
        case ready
        case failed(DriverError)
    }

    private let state = Mutex<State>(.idle)
    private let prepare: @Sendable () async throws -> Void

    init(_ prepare: @escaping @Sendable () async throws -> Void) {
        self.prepare = prepare
    }

    /// Starts the preparation now rather than at the first operation.
    func begin() { _ = task() }

    /// Returns when the driver is prepared; throws the preparation's error otherwise.
    func wait() async throws(DriverError) {
        guard let task = task() else {
            if case .failed(let error) = state.withLock({ $0 }) { throw error }
            return
        }
        let outcome = await task.value
        state.withLock { current in
            guard case .running = current else { return }
            switch outcome {
            case .success: current = .ready
            case .failure(let error):
                current = error.code.isRetryable ? .idle : .failed(error)
            }
        }
        if case .failure(let error) = outcome { throw error }
    }

    /// The running preparation, started if none is; nil once it is over for good.
    private func task() -> Task<Result<Void, DriverError>, Never>? {
        state.withLock { current in
            switch current {
            case .ready, .failed: return nil
            case .running(let task): return task
            case .idle:
                let prepare = self.prepare
                let task = Task { () -> Result<Void, DriverError> in
                    do {
                        try await prepare()
                        return .success(())
                    } catch {
                        return .failure(DriverError(describing: error))
                    }
                }
                current = .running(task)
                return task
            }
        }
    }

    /// Cancels a preparation still running and waits for it: nothing of it may outlive destroy.
    func finish() async {
        let running: Task<Result<Void, DriverError>, Never>? = state.withLock { current in
            guard case .running(let task) = current else { return nil }
            return task
        }
        running?.cancel()
        _ = await running?.value
    }
}
