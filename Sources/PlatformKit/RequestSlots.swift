import Synchronization

/// A fixed number of slots for requests in flight, handed out first come first served; a
/// waiter gives up at its deadline or when its task is cancelled.
///
/// Why PlatformHTTPClient has it rather than leaving the queue to AsyncHTTPClient's pool: the
/// pool bounds a request's wait for a connection by the *connect* timeout (a few seconds), so a
/// burst larger than the pool (100 session starts at once) failed with
/// `getConnectionFromPoolTimeout` while each request still had most of its own deadline left.
/// Waiting here is bounded by the request's deadline instead, and the pool is only ever asked for
/// a connection it has or can open.
final class RequestSlots: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var free: Int
        var waiters: [Waiter] = []
    }

    let count: Int
    private let state: Mutex<State>
    private let nextID = Atomic<UInt64>(0)

    init(_ count: Int) {
        precondition(count > 0, "a request needs at least one slot")
        self.count = count
        state = Mutex(State(free: count))
    }

    /// Requests waiting for a slot now (for error messages).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Takes a slot, waiting until `deadline` at most. False: the deadline passed or the task was
    /// cancelled first, and no slot is held. True: call `release()` once done.
    func acquire(until deadline: ContinuousClock.Instant) async -> Bool {
        let taken = state.withLock { state in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
        if taken { return true }  // the common case: no timer, no continuation
        let id = nextID.add(1, ordering: .relaxed).newValue
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            giveUp(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Checked under the lock that giveUp takes: a cancellation or a deadline that
                // comes while this runs either is seen here or finds the waiter queued.
                let verdict: Bool? = state.withLock { state in
                    if state.free > 0 {
                        state.free -= 1
                        return true
                    }
                    if Task.isCancelled || ContinuousClock.now >= deadline { return false }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let verdict { continuation.resume(returning: verdict) }
            }
        } onCancel: {
            giveUp(id)
        }
    }

    /// Gives the slot to the longest waiter, or back to the free count.
    func release() {
        let next: Waiter? = state.withLock { state in
            if state.waiters.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }

    private func giveUp(_ id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: false)
    }
}
