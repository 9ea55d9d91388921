import DriverABI
import DriverModel
import NIOCore
import Synchronization

/// One log stream from a driver, read as an async sequence of events. The buffer between the
/// driver and the reader is bounded: past `highWaterBytes` the driver is told to pause
/// (SSD_FLOW_PAUSE) and is resumed once the reader has drained it below `lowWaterBytes`. The
/// bytes of a write are never dropped, so the buffer exceeds the mark by at most one chunk.
public final class DriverLogStream: AsyncSequence, AsyncIteratorProtocol, Sendable {
    public enum Event: Sendable, Equatable {
        case data(channel: Int32, bytes: [UInt8])
        /// Exactly once, last: nil when the stream completed, else why it ended.
        case end(DriverError?)
    }

    public let streamID: UInt64
    public let highWaterBytes: Int
    public let lowWaterBytes: Int
    private let resumeDriver: @Sendable () -> Void
    private let cancelDriver: @Sendable () -> Void

    private struct State {
        /// A ring: an event's bytes are released as soon as the reader takes it.
        var events = CircularBuffer<Event>()
        var bufferedBytes = 0
        var pausedDriver = false
        var cancelled = false
        var ended = false
        var finished = false
        /// The reader waiting for the next event, and which call of `next` it is.
        var waiter: (id: Int, continuation: CheckedContinuation<Event?, Never>)?
        var waiterID = 0
        /// A reader waiting for the buffer to fill to `threshold` bytes (or the end).
        var filler: (id: Int, threshold: Int, continuation: CheckedContinuation<Void, Never>)?
        /// The latest filler whose time ran out, also before it was registered.
        var expiredFiller = 0
        /// The most bytes ever buffered at once (for tests and benchmarks).
        var peakBufferedBytes = 0
    }
    private let state = Mutex(State())

    init(streamID: UInt64, highWaterBytes: Int, resume: @escaping @Sendable () -> Void,
         cancel: @escaping @Sendable () -> Void) {
        self.streamID = streamID
        self.highWaterBytes = highWaterBytes
        self.lowWaterBytes = highWaterBytes / 4
        self.resumeDriver = resume
        self.cancelDriver = cancel
    }

    public var peakBufferedBytes: Int { state.withLock { $0.peakBufferedBytes } }

    /// Events not yet taken by the reader (a taken event's bytes must not stay referenced).
    var heldEvents: Int { state.withLock { $0.events.count } }

    // MARK: Driver side (called from ssd_host callbacks, any thread)

    /// Consecutive writes on one channel that the reader has not taken yet are joined into one
    /// event of up to this many bytes: a driver writing line by line costs one event per batch
    /// the reader takes, not one per line.
    static let coalesceBytes = 64 * 1024

    /// The driver's bytes are copied once, under the lock, into the event that carries them.
    func write(channel: Int32, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        var filled: CheckedContinuation<Void, Never>?
        let (answer, waiter): (Int32, CheckedContinuation<Event?, Never>?) = state.withLock { state in
            if state.cancelled || state.ended { return (Int32(SSD_FLOW_STOP), nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (Int32(SSD_FLOW_CONTINUE), waiter.continuation)
            }
            if let lastIndex = state.events.indices.last, case .data(let lastChannel, var joined) = state.events[lastIndex],
               lastChannel == channel, joined.count + bytes.count <= Self.coalesceBytes {
                state.events[lastIndex] = .end(nil)  // drops the queue's reference: the append below is in place
                joined.append(contentsOf: bytes)
                state.events[lastIndex] = .data(channel: channel, bytes: joined)
            } else {
                state.events.append(.data(channel: channel, bytes: Array(bytes)))
            }
            state.bufferedBytes += bytes.count
            state.peakBufferedBytes = Swift.max(state.peakBufferedBytes, state.bufferedBytes)
            if let filler = state.filler, state.bufferedBytes >= filler.threshold {
                state.filler = nil
                filled = filler.continuation
            }
            if state.bufferedBytes >= highWaterBytes {
                state.pausedDriver = true
                return (Int32(SSD_FLOW_PAUSE), nil)
            }
            return (Int32(SSD_FLOW_CONTINUE), nil)
        }
        waiter?.resume(returning: .data(channel: channel, bytes: Array(bytes)))
        filled?.resume()
        return answer
    }

    /// Returns false if the stream had already ended (a driver bug: log_end twice).
    @discardableResult
    func end(_ error: DriverError?) -> Bool {
        var filled: CheckedContinuation<Void, Never>?
        defer { filled?.resume() }
        let (accepted, waiter): (Bool, CheckedContinuation<Event?, Never>?) = state.withLock { state in
            if state.ended { return (false, nil) }
            state.ended = true
            filled = state.filler?.continuation
            state.filler = nil
            if let waiter = state.waiter {
                state.waiter = nil
                state.finished = true
                return (true, waiter.continuation)
            }
            state.events.append(.end(error))
            return (true, nil)
        }
        waiter?.resume(returning: .end(error))
        return accepted
    }

    // MARK: Reader side

    public func makeAsyncIterator() -> DriverLogStream { self }

    /// The next event; nil after the `.end` event, or when the reading task is cancelled.
    public func next() async -> Event? {
        let waiterID = state.withLock { state -> Int in
            state.waiterID += 1
            return state.waiterID
        }
        return await withTaskCancellationHandler {
            await nextEvent(waiterID)
        } onCancel: {
            // Only this call's own waiter: a cancelled reader must never wake another reader.
            let waiter = state.withLock { state -> CheckedContinuation<Event?, Never>? in
                guard let waiter = state.waiter, waiter.id == waiterID else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    private func nextEvent(_ waiterID: Int) async -> Event? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
            let (event, resume): (Event??, Bool) = state.withLock { state in
                // A cancelled reader takes nothing: the events stay for the next reader.
                if state.finished || Task.isCancelled { return (.some(nil), false) }
                guard !state.events.isEmpty else {
                    state.waiter = (waiterID, continuation)
                    return (nil, false)
                }
                let (event, resume) = take(&state)
                return (.some(event), resume)
            }
            // Outside the lock, and outside any driver callback (R5).
            if resume { resumeDriver() }
            if let event { continuation.resume(returning: event) }
        }
    }

    /// The next event if one is buffered now, without waiting (to gather small writes).
    public func nextIfReady() -> Event? {
        let (event, resume): (Event?, Bool) = state.withLock { state in
            guard !state.finished, state.waiter == nil, !state.events.isEmpty else { return (nil, false) }
            let (event, resume) = take(&state)
            return (event, resume)
        }
        if resume { resumeDriver() }
        return event
    }

    /// Returns once `bytes` are buffered, the stream has ended, `timeout` has passed or the task
    /// is cancelled, whichever comes first (one waiter at a time: the stream has one reader). A
    /// reader gathering a driver's small writes into bigger pieces waits with this instead of a
    /// fixed sleep, so a fast driver never idles.
    public func waitUntilBuffered(_ bytes: Int, atMost timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.waiterID += 1
            return state.waiterID
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.releaseFiller(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.ended || state.bufferedBytes >= bytes || state.expiredFiller >= id || Task.isCancelled {
                        return true
                    }
                    state.filler = (id, bytes, continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            releaseFiller(id)
        }
    }

    /// Ends the wait `id`, or, if it has not begun yet (the timer can win that race), makes
    /// sure it will not begin.
    private func releaseFiller(_ id: Int) {
        let filler = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.expiredFiller = Swift.max(state.expiredFiller, id)
            guard let filler = state.filler, filler.id == id else { return nil }
            state.filler = nil
            return filler.continuation
        }
        filler?.resume()
    }

    /// Takes the first buffered event; whether the driver may be resumed (below low water).
    private func take(_ state: inout State) -> (Event, Bool) {
        let event = state.events.removeFirst()
        if case .data(_, let bytes) = event { state.bufferedBytes -= bytes.count }
        if case .end = event { state.finished = true }
        var resume = false
        if state.pausedDriver, state.bufferedBytes <= lowWaterBytes, !state.ended {
            state.pausedDriver = false
            resume = true
        }
        return (event, resume)
    }

    /// Asks the driver to end the stream. The `.end` event still arrives (as CANCELLED).
    public func cancel() {
        let shouldCancel = state.withLock { state -> Bool in
            if state.cancelled || state.ended { return false }
            state.cancelled = true
            return true
        }
        if shouldCancel { cancelDriver() }
    }

    /// Reads the whole stream: every data byte and how it ended.
    public func collect() async -> (bytes: [UInt8], end: DriverError?) {
        var bytes: [UInt8] = []
        while let event = await next() {
            switch event {
            case .data(_, let chunk): bytes += chunk
            case .end(let error): return (bytes, error)
            }
        }
        return (bytes, nil)
    }
}

