import ControlPlaneProtocol
import NIOCore
import Synchronization

/// One stream of the session tunnel (Docs/control-plane-extension.md, "Session traffic"): a TCP
/// connection the agent made to one port of one session, seen from the control plane.
///
/// Read the session's bytes from `inbound` (one reader); write with `write(_:)` (one writer at
/// a time), which waits for the agent's credit. Both directions are flow-controlled with a
/// window of `TunnelStream.window` bytes: the agent is granted more only as the reader takes
/// bytes, so a reader that stops reading stops this stream and nothing else. At most one
/// window of inbound bytes is held. Thread-safe; nothing blocks a thread.
public final class TunnelStream: Sendable {
    /// The window each side offers: 256 KiB, as the agent does.
    public static let window = 256 * 1024

    public let id: UInt32
    public let sessionId: String
    public let port: Int
    let connection: AgentConnection
    private let state: Mutex<StreamState>

    init(id: UInt32, sessionId: String, port: Int, connection: AgentConnection) {
        self.id = id
        self.sessionId = sessionId
        self.port = port
        self.connection = connection
        self.state = Mutex(StreamState(receive: ReceiveWindow(size: Self.window)))
    }

    /// The session's bytes, in order; ends after the agent's `tunnel_end`, throws
    /// `TunnelStreamError` on a reset or a lost connection.
    public var inbound: Inbound { Inbound(stream: self) }

    // MARK: Writing

    /// Sends `bytes` to the session, in data frames of at most 64 KiB, each once the agent
    /// granted room for it. Throws when the stream is over or was ended.
    public func write(_ bytes: ByteBuffer) async throws {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            let allowed = try await takeCredit(upTo: min(bytes.readableBytes, TunnelData.maxPayload))
            let piece = bytes.readSlice(length: allowed)!
            guard connection.enqueue([.binary(TunnelData.frame(streamId: id, payload: piece))]) else {
                fail(TunnelStreamError(.connectionLost, connection.closeReason ?? "closing"))
                throw TunnelStreamError(.connectionLost, connection.closeReason ?? "closing")
            }
        }
    }

    /// Half-close: the session reads end-of-file; its answers keep coming. Idempotent.
    public func end() {
        let send = state.withLock { state -> Bool in
            guard state.failure == nil, !state.sentEnd else { return false }
            state.sentEnd = true
            return true
        }
        guard send else { return }
        connection.enqueue([.message(TunnelMessage.end(streamId: id).message.encoded())])
        forgetIfDone()
    }

    /// Ends both directions now, telling the agent why.
    public func reset(_ reason: String) {
        if fail(TunnelStreamError(.reset, "reset by the control plane: \(reason)")) {
            connection.enqueue([.message(TunnelMessage.reset(streamId: id, error: reason).message.encoded())])
        }
    }

    private func takeCredit(upTo wanted: Int) async throws -> Int {
        while true {
            let outcome = state.withLock { state -> Result<Int, TunnelStreamError> in
                if let failure = state.failure { return .failure(failure) }
                if state.sentEnd { return .failure(TunnelStreamError(.misuse, "write after end()")) }
                return .success(state.credit.take(upTo: wanted))
            }
            let taken = try outcome.get()
            if taken > 0 { return taken }
            try await wait(\.creditWaiter, "two writers at once") { $0.credit.available > 0 || $0.sentEnd }
        }
    }

    // MARK: Reading

    /// The next piece of the session's bytes; nil after the agent's `tunnel_end`.
    func read() async throws -> ByteBuffer? {
        while true {
            let outcome = state.withLock { state -> Result<(ByteBuffer, Int?)?, TunnelStreamError>? in
                if let failure = state.failure { return .failure(failure) }
                if let piece = state.inbound.popFirst() {
                    // Passed on to the reader: grant it back unless nothing more can come.
                    let grant = state.receive.deliver(piece.readableBytes)
                    return .success((piece, state.receivedEnd ? nil : grant))
                }
                if state.receivedEnd { return .success(nil) }
                return nil
            }
            switch outcome {
            case .failure(let error)?:
                throw error
            case .success(let piece)?:
                guard let (bytes, grant) = piece else {
                    forgetIfDone()
                    return nil
                }
                if let grant {
                    connection.enqueue([.message(TunnelMessage.window(streamId: id, bytes: grant).message.encoded())])
                }
                return bytes
            case nil:
                try await wait(\.readWaiter, "two readers at once") { !$0.inbound.isEmpty || $0.receivedEnd }
            }
        }
    }

    // MARK: What the agent sends (called by the connection's reader)

    func opened(window: Int) {
        state.withLock { state in
            state.isOpen = true
            _ = state.credit.grant(window)
            return state.openWaiter.take()
        }?.resume()
    }

    /// A data frame arrived. False when it exceeds the window: the caller resets the stream.
    func received(_ bytes: ByteBuffer) -> Bool {
        let outcome = state.withLock { state -> (Bool, CheckedContinuation<Void, any Error>?) in
            guard state.failure == nil, !state.receivedEnd else { return (true, nil) }  // late: dropped
            guard state.receive.receive(bytes.readableBytes) else { return (false, nil) }
            state.inbound.append(bytes)
            return (true, state.readWaiter.take())
        }
        outcome.1?.resume()
        return outcome.0
    }

    /// A `tunnel_window`. False when the credit would exceed 16 MiB (bytes never sent).
    func granted(_ bytes: Int) -> Bool {
        let outcome = state.withLock { state -> (Bool, CheckedContinuation<Void, any Error>?) in
            guard state.credit.grant(bytes) else { return (false, nil) }
            return (true, state.creditWaiter.take())
        }
        outcome.1?.resume()
        return outcome.0
    }

    func remoteEnded() {
        state.withLock { state in
            state.receivedEnd = true
            return state.readWaiter.take()
        }?.resume()
        forgetIfDone()
    }

    /// A `tunnel_reset` from the agent: before `tunnel_opened` it is a refusal.
    func remoteReset(_ error: String) {
        let opened = state.withLock { $0.isOpen }
        fail(TunnelStreamError(opened ? .reset : .refused, error))
    }

    // MARK: Lifecycle

    /// Waits for `tunnel_opened`; a refusal, a lost connection or `timeout` throws (and resets).
    func waitOpened(timeout: Duration) async throws {
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            guard let self, self.fail(TunnelStreamError(.timedOut, "no tunnel_opened within \(timeout)")) else { return }
            self.connection.enqueue([.message(TunnelMessage.reset(streamId: self.id, error: "not opened in time").message.encoded())])
        }
        defer { timer.cancel() }
        while true {
            let outcome = state.withLock { state -> Result<Bool, TunnelStreamError> in
                if let failure = state.failure { return .failure(failure) }
                return .success(state.isOpen)
            }
            if try outcome.get() { return }
            try await wait(\.openWaiter, "two openers at once") { $0.isOpen }
        }
    }

    /// Ends the stream with `error`, wakes every waiter, forgets it. False when it was over already.
    @discardableResult
    func fail(_ error: TunnelStreamError) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>]? in
            guard state.failure == nil else { return nil }
            state.failure = error
            state.inbound.removeAll()
            return [state.openWaiter.take(), state.creditWaiter.take(), state.readWaiter.take()].compactMap { $0 }
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume() }
        connection.tunnels.remove(id)
        return true
    }

    /// Both directions ended: the id is free again (bytes still buffered stay readable).
    private func forgetIfDone() {
        if state.withLock({ $0.sentEnd && $0.receivedEnd }) { connection.tunnels.remove(id) }
    }

    /// Parks the caller until `ready` holds or the stream fails; cancellation resets the stream.
    private func wait(_ slot: WritableKeyPath<StreamState, CheckedContinuation<Void, any Error>?>, _ misuse: String,
                      until ready: @escaping @Sendable (StreamState) -> Bool) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Registration { case parked, now, refused(any Error) }
                let registration = state.withLock { state -> Registration in
                    if state.failure != nil || ready(state) { return .now }
                    if Task.isCancelled { return .refused(CancellationError()) }
                    guard state[keyPath: slot] == nil else { return .refused(TunnelStreamError(.misuse, misuse)) }
                    state[keyPath: slot] = continuation
                    return .parked
                }
                switch registration {
                case .parked: break
                case .now: continuation.resume()
                case .refused(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            reset("cancelled")
        }
    }

    /// The session's bytes as an async sequence (one iterator).
    public struct Inbound: AsyncSequence, Sendable {
        let stream: TunnelStream

        public func makeAsyncIterator() -> Iterator { Iterator(stream: stream) }

        public struct Iterator: AsyncIteratorProtocol {
            let stream: TunnelStream
            public mutating func next() async throws -> ByteBuffer? { try await stream.read() }
        }
    }
}

/// Everything a stream holds, behind its lock.
struct StreamState {
    var isOpen = false
    var credit = SendCredit(window: 0)
    var receive: ReceiveWindow
    /// Received and not yet read: at most one window.
    var inbound = CircularBuffer<ByteBuffer>()
    var sentEnd = false
    var receivedEnd = false
    var failure: TunnelStreamError?
    var openWaiter: CheckedContinuation<Void, any Error>?
    var creditWaiter: CheckedContinuation<Void, any Error>?
    var readWaiter: CheckedContinuation<Void, any Error>?
}
