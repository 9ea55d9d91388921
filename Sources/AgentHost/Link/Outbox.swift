import ControlPlaneProtocol
import Logging
import NIOCore
import Synchronization

/// Where everything the agent says goes: the current connection's single writer, or nowhere
/// while the link is down (the server queues nothing either; after reconnecting the agent
/// reports every session's true state). Only command verdicts (`complete`, `failed`) wait for
/// the next connection, so a command that ends while the link is down still gets its answer.
///
/// Two lanes. Control messages (acks, statuses, heartbeats, metrics, tunnel windows) always go
/// first. Bulk messages (log chunks, session traffic: VNC relay data and tunnel data frames)
/// wait for credit: at most `bulkLimit` bytes of them are queued or being
/// written at once, so a Control Plane that reads slowly pauses the log streams instead of
/// growing the agent's memory, and never holds a heartbeat behind a log.
///
/// Every message sent passes the redactor here: statuses, failures and log chunks carry texts
/// from the driver and the platform, which may quote a secret. Session traffic is the
/// session's own bytes: it is relayed as it is.
final class Outbox: Sendable {
    /// What the writer sends: a JSON message (a text frame), or a tunnel data frame (binary).
    enum Item: Sendable {
        case message(Message)
        case binary(ByteBuffer)

        var message: Message? {
            if case .message(let message) = self { return message }
            return nil
        }
    }

    let bulkLimit: Int
    private let logger: Logger
    let redactor: Redactor

    private struct State {
        /// Bumped on every attach and detach: a writer of an older connection gets nothing more.
        var generation = 0
        var attached = false
        // Ring buffers: a message leaves the queue (and its memory) when it is taken.
        var control = CircularBuffer<Message>()
        var bulk = CircularBuffer<(item: Item, bytes: Int)>()
        /// Bytes of bulk messages queued or not yet written.
        var bulkBytes = 0
        var peakBulkBytes = 0
        var reader: CheckedContinuation<(Item, Int)?, Never>?
        /// Bulk senders waiting for credit, in order, with what they send.
        var creditWaiters = CircularBuffer<(item: Item, bytes: Int, continuation: CheckedContinuation<Bool, Never>)>()
        /// Verdicts not written when the link went down, for the next connection.
        var held = CircularBuffer<Message>()
    }
    private let state = Mutex(State())

    /// Control messages kept while the writer is behind; the oldest go first beyond it.
    static let controlLimit = 10_000
    /// Verdicts kept while the link is down; the oldest go first beyond it.
    static let heldLimit = 4096

    static func isVerdict(_ message: Message) -> Bool { message.type == "complete" || message.type == "failed" }

    init(logger: Logger, bulkLimit: Int = 1 << 20, redactor: Redactor = Redactor()) {
        self.logger = logger
        self.bulkLimit = bulkLimit
        self.redactor = redactor
    }

    /// A new connection takes over; returns its generation for `next`.
    func attach() -> Int {
        let (generation, waiters, reader) = state.withLock { state in
            let waiters = state.creditWaiters
            let reader = state.reader
            let held = state.held
            state = State(generation: state.generation + 1, attached: true, peakBulkBytes: state.peakBulkBytes)
            state.control = held
            return (state.generation, waiters, reader)
        }
        reader?.resume(returning: nil)
        for waiter in waiters { waiter.continuation.resume(returning: false) }
        return generation
    }

    /// The link is down: queued messages are dropped and bulk senders learn it.
    func detach() {
        let (waiters, reader) = state.withLock { state in
            let waiters = state.creditWaiters
            let reader = state.reader
            var held = state.held
            for message in state.control where Self.isVerdict(message) { Self.hold(message, in: &held) }
            state = State(generation: state.generation + 1, attached: false, peakBulkBytes: state.peakBulkBytes)
            state.held = held
            return (waiters, reader)
        }
        reader?.resume(returning: nil)
        for waiter in waiters { waiter.continuation.resume(returning: false) }
    }

    /// Queues a control message (never waits).
    func send(_ message: Message) {
        let message = redactor.redact(message)
        let (delivered, reader) = state.withLock { state -> (Bool, CheckedContinuation<(Item, Int)?, Never>?) in
            guard state.attached else {
                if Self.isVerdict(message) { Self.hold(message, in: &state.held) }
                return (false, nil)
            }
            if let reader = state.reader {
                state.reader = nil
                return (true, reader)
            }
            state.control.append(message)
            if state.control.count > Self.controlLimit { state.control.removeFirst() }
            return (true, nil)
        }
        if let reader { reader.resume(returning: (.message(message), 0)) }
        if !delivered { logger.debug("link down: not sending \(message.type)") }
    }

    private static func hold(_ message: Message, in held: inout CircularBuffer<Message>) {
        held.append(message)
        if held.count > heldLimit { held.removeFirst() }
    }

    /// Queues a bulk message once there is credit for its bytes. False when the link went
    /// down (the message was not queued): the sender should stop. `redacting: false` for
    /// session traffic (the session's own bytes, relayed as they are).
    func sendBulk(_ message: Message, bytes: Int, redacting: Bool = true) async -> Bool {
        await sendBulk(.message(redacting ? redactor.redact(message) : message), bytes: bytes)
    }

    /// Queues a tunnel data frame (binary) once there is credit for it; false when the link
    /// went down.
    func sendBulk(binary frame: ByteBuffer) async -> Bool {
        await sendBulk(.binary(frame), bytes: frame.readableBytes)
    }

    private func sendBulk(_ item: Item, bytes: Int) async -> Bool {
        let cost = max(1, min(bytes, bulkLimit))
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let action: (reader: CheckedContinuation<(Item, Int)?, Never>?, answer: Bool?) = state.withLock { state in
                guard state.attached else { return (nil, false) }
                // In order: behind anyone already waiting, and within the credit.
                guard state.creditWaiters.isEmpty, state.bulkBytes + cost <= bulkLimit else {
                    state.creditWaiters.append((item, cost, continuation))
                    return (nil, nil)
                }
                state.bulkBytes += cost
                state.peakBulkBytes = max(state.peakBulkBytes, state.bulkBytes)
                if let reader = state.reader {
                    state.reader = nil
                    return (reader, true)
                }
                state.bulk.append((item, cost))
                return (nil, true)
            }
            if let reader = action.reader { reader.resume(returning: (item, cost)) }
            if let answer = action.answer { continuation.resume(returning: answer) }
        }
    }

    /// The writer's next message (control first) and its bulk cost to `release` once written;
    /// nil when this connection's generation is over or the task is cancelled.
    func next(generation: Int) async -> (Item, Int)? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<(Item, Int)?, Never>) in
                let ready: (Item, Int)?? = state.withLock { state in
                    guard state.generation == generation, state.attached, !Task.isCancelled else { return .some(nil) }
                    if let message = state.control.popFirst() { return .some((.message(message), 0)) }
                    if let item = state.bulk.popFirst() { return .some(item) }
                    state.reader = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let reader = state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(returning: nil)
        }
    }

    /// The next message if one is queued now (control first), without waiting: the writer
    /// takes what is ready to send it with one flush.
    func nextReady(generation: Int) -> (Item, Int)? {
        state.withLock { state in
            guard state.generation == generation, state.attached else { return nil }
            if let message = state.control.popFirst() { return (.message(message), 0) }
            return state.bulk.popFirst()
        }
    }

    /// A bulk message of `bytes` was written: its credit goes to the senders waiting, in order.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let (granted, handoff) = state.withLock { state -> ([CheckedContinuation<Bool, Never>], (CheckedContinuation<(Item, Int)?, Never>, (Item, Int))?) in
            state.bulkBytes = max(0, state.bulkBytes - bytes)
            var granted: [CheckedContinuation<Bool, Never>] = []
            while let first = state.creditWaiters.first, state.bulkBytes + first.bytes <= bulkLimit {
                state.creditWaiters.removeFirst()
                state.bulkBytes += first.bytes
                state.peakBulkBytes = max(state.peakBulkBytes, state.bulkBytes)
                state.bulk.append((first.item, first.bytes))
                granted.append(first.continuation)
            }
            var handoff: (CheckedContinuation<(Item, Int)?, Never>, (Item, Int))?
            if let reader = state.reader, let item = state.bulk.popFirst() {
                state.reader = nil
                handoff = (reader, item)
            }
            return (granted, handoff)
        }
        for waiter in granted { waiter.resume(returning: true) }
        if let (continuation, item) = handoff { continuation.resume(returning: item) }
    }

    /// Whether a connection is attached (messages sent now can reach the Control Plane).
    var isAttached: Bool { state.withLock { $0.attached } }

    /// Messages the outbox still holds (a sent message must not stay referenced: log chunks are
    /// 48 KiB each).
    var heldMessages: Int { state.withLock { $0.control.count + $0.bulk.count } }

    /// The most bulk bytes ever queued at once (tests and benchmarks).
    var peakBulkBytes: Int { state.withLock { $0.peakBulkBytes } }
}
