import NIOCore
import NIOWebSocket
import Synchronization

/// One agent's WebSocket connection as the rest of the control plane sees it: a queue of
/// outbound items drained by the connection's single writer, and the counters the admin API
/// shows. Thread-safe; nothing here blocks.
final class AgentConnection: Sendable {
    enum Outbound: Sendable {
        /// A protocol message; neighbours queued together share a frame when batching is on.
        case message(String)
        /// Text sent verbatim as its own frame (tests of the agent's handling of garbage).
        case raw(String)
        /// A binary frame: tunnel data (its stream's credit bounds what waits here).
        case binary(ByteBuffer)
        case ping
        case pong(ByteBuffer)
        case close(WebSocketErrorCode, String)
    }

    private struct State: Sendable {
        var queue: [Outbound] = []
        var closing = false
        var closeFrameSent = false
        var closeReason: String?
        var lastControlFrame: ContinuousClock.Instant
        var pingsSent = 0
        var controlFramesReceived = 0
        /// The reader takes no frame before this (a stalled reader, for backpressure tests).
        var readingPausedUntil: ContinuousClock.Instant?
    }

    /// Distinguishes this connection from a later one of the same agent.
    let serial: Int
    let agentId: String
    let peer: String
    private let state: Mutex<State>
    private let wake: AsyncStream<Void>.Continuation
    let wakeups: AsyncStream<Void>
    /// The session tunnel's streams over this connection.
    let tunnels = TunnelTable()

    /// Most messages waiting for the writer (the real server's per-connection send buffer);
    /// 0: no limit.
    let sendBufferSize: Int

    init(serial: Int, agentId: String, peer: String, sendBufferSize: Int = 0) {
        self.serial = serial
        self.agentId = agentId
        self.peer = peer
        self.sendBufferSize = sendBufferSize
        self.state = Mutex(State(lastControlFrame: .now))
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues items in order; false when the connection is closing (nothing is queued then).
    /// When the send buffer would overflow, the connection is closed instead, as the real
    /// server's hub drops an agent that does not keep up.
    @discardableResult
    func enqueue(_ items: [Outbound]) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            let waiting = state.queue.count { if case .message = $0 { true } else { false } }
            let adding = items.count { if case .message = $0 { true } else { false } }
            if sendBufferSize > 0, adding > 0, waiting + adding > sendBufferSize {
                state.closing = true
                state.closeReason = "send buffer full (\(sendBufferSize) messages): the agent does not read fast enough"
                state.queue.append(.close(.policyViolation, state.closeReason!))
                return false
            }
            state.queue.append(contentsOf: items)
            return true
        }
        wake.yield()
        return accepted
    }

    /// Queues a close frame after whatever is queued; the writer sends it and drops the
    /// connection. Later calls keep the first reason.
    func close(_ code: WebSocketErrorCode = .normalClosure, reason: String) {
        let first = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.closing = true
            state.closeReason = reason
            state.queue.append(.close(code, reason))
            return true
        }
        if first { wake.yield() }
    }

    /// Everything queued so far, in order.
    func takeQueued() -> [Outbound] {
        state.withLock { state in
            let items = state.queue
            state.queue.removeAll(keepingCapacity: true)
            return items
        }
    }

    /// A ping or pong control frame came from the agent: it proves the agent is alive.
    func noteControlFrame() {
        state.withLock { state in
            state.lastControlFrame = .now
            state.controlFramesReceived += 1
        }
    }

    /// The writer sent the close frame: once the reader ends, nothing is left to do.
    func noteCloseFrameSent() { state.withLock { $0.closeFrameSent = true } }
    var closeFrameSent: Bool { state.withLock { $0.closeFrameSent } }

    func notePingSent() { state.withLock { $0.pingsSent += 1 } }

    var lastControlFrame: ContinuousClock.Instant { state.withLock { $0.lastControlFrame } }
    var isClosing: Bool { state.withLock { $0.closing } }
    var closeReason: String? { state.withLock { $0.closeReason } }
    var counters: (pingsSent: Int, controlFramesReceived: Int) {
        state.withLock { ($0.pingsSent, $0.controlFramesReceived) }
    }

    /// Ends the writer's wait: called once the connection is gone.
    func finish() { wake.finish() }

    /// Stops reading the agent's frames for `duration`: TCP backpressure reaches the agent, as
    /// with a Control Plane too slow to keep up.
    func pauseReading(for duration: Duration) {
        state.withLock { $0.readingPausedUntil = .now + duration }
    }

    /// Waits out a pause, if one is set.
    func waitWhileReadingPaused() async {
        while let until = state.withLock({ $0.readingPausedUntil }), until > .now {
            try? await Task.sleep(until: until)
        }
    }
}
