import ControlPlaneProtocol
import NIOCore
import Synchronization

/// The flow-control state of one tunnel stream, shared by its reader (session → Control
/// Plane: waits for send credit), its writer (Control Plane → session: bytes within the
/// window, granted back once written) and the messages that arrive for it.
final class TunnelStream: Sendable {
    let id: UInt32
    let sessionID: String
    let input: AsyncStream<SessionPipe.Input>.Continuation
    let inputs: AsyncStream<SessionPipe.Input>

    private struct State {
        var credit: SendCredit
        var window: ReceiveWindow
        var creditWaiter: (continuation: CheckedContinuation<Int?, Never>, wanted: Int)?
        var closed = false
        var task: Task<Void, Never>?
    }
    private let state: Mutex<State>

    init(id: UInt32, sessionID: String, sendWindow: Int, receiveWindow: Int) {
        self.id = id
        self.sessionID = sessionID
        // Unbounded here, bounded by the window: `received` refuses bytes beyond it.
        (inputs, input) = AsyncStream.makeStream()
        state = Mutex(State(credit: SendCredit(window: sendWindow), window: ReceiveWindow(size: receiveWindow)))
    }

    func attach(_ task: Task<Void, Never>) {
        let closed = state.withLock { state in
            state.task = task
            return state.closed
        }
        if closed { task.cancel() }
    }

    /// Up to `wanted` bytes of send credit, waiting for a grant when there is none; nil once
    /// the stream is closed.
    func takeCredit(upTo wanted: Int) async -> Int? {
        await withCheckedContinuation { continuation in
            let now: Int?? = state.withLock { state in
                if state.closed { return .some(nil) }
                let granted = state.credit.take(upTo: wanted)
                if granted > 0 { return .some(granted) }
                state.creditWaiter = (continuation, wanted)
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    /// The Control Plane granted `bytes`; false when that is more than it was ever sent.
    func grant(_ bytes: Int) -> Bool {
        let (ok, wake): (Bool, (CheckedContinuation<Int?, Never>, Int)?) = state.withLock { state in
            guard state.credit.grant(bytes) else { return (false, nil) }
            guard let waiter = state.creditWaiter else { return (true, nil) }
            state.creditWaiter = nil
            return (true, (waiter.continuation, state.credit.take(upTo: waiter.wanted)))
        }
        if let (continuation, granted) = wake { continuation.resume(returning: granted) }
        return ok
    }

    /// Bytes from the Control Plane for the session; false when they exceed the window.
    func received(_ bytes: ByteBuffer) -> Bool {
        let fits = state.withLock { state in !state.closed && state.window.receive(bytes.readableBytes) }
        if fits { input.yield(.data(bytes)) }
        return fits
    }

    /// `bytes` reached the session's socket: the grant to send back, if one is due.
    func written(_ bytes: Int) -> Int? {
        state.withLock { state in state.closed ? nil : state.window.deliver(bytes) }
    }

    /// Ends the stream: the socket closes, a reader waiting for credit stops. True for the
    /// first call only.
    @discardableResult
    func close() -> Bool {
        let (first, waiter, task) = state.withLock { state -> (Bool, CheckedContinuation<Int?, Never>?, Task<Void, Never>?) in
            guard !state.closed else { return (false, nil, nil) }
            state.closed = true
            defer { state.creditWaiter = nil }
            return (true, state.creditWaiter?.continuation, state.task)
        }
        guard first else { return false }
        waiter?.resume(returning: nil)
        input.finish()
        task?.cancel()
        return true
    }

    var isClosed: Bool { state.withLock { $0.closed } }
}
