import DriverABI
import Synchronization

/// Delivers one log stream's bytes to the host, with the host's flow control: `write` returns
/// at once while the host has room and suspends (without holding a thread) while it is full.
public final class LogWriter: Sendable {
    public enum Channel: Int32, Sendable {
        case stdout = 1, stderr = 2, console = 3
    }

    private let host: DriverHost
    public let streamID: UInt64

    private struct State {
        var paused = false
        /// Counts resumes, so a resume that arrives between the host's PAUSE answer and our
        /// noting it is not lost.
        var resumes = 0
        var cancelled = false
        var waiter: CheckedContinuation<Void, any Error>?
    }
    private let state = Mutex(State())

    init(host: DriverHost, streamID: UInt64) {
        self.host = host
        self.streamID = streamID
    }

    /// Writes bytes; throws `CancellationError` once the host has cancelled the stream.
    public func write(_ bytes: some Collection<UInt8>, channel: Channel = .stdout) async throws {
        try await waitUntilWritable()
        let resumesBefore = state.withLock { $0.resumes }
        let answer = Array(bytes).withUnsafeBufferPointer { buffer in
            host.table.pointee.log_write(host.table.pointee.ctx, streamID, channel.rawValue,
                                         buffer.baseAddress, buffer.count)
        }
        switch Int(answer) {
        case Int(SSD_FLOW_CONTINUE): return
        case Int(SSD_FLOW_PAUSE):
            state.withLock { state in
                if state.resumes == resumesBefore { state.paused = true }
            }
        default: cancel(); throw CancellationError()
        }
    }

    public func write(_ text: String, channel: Channel = .stdout) async throws {
        try await write(Array(text.utf8), channel: channel)
    }

    private func waitUntilWritable() async throws {
        // The common case, without a continuation: the host has room.
        if !Task.isCancelled, state.withLock({ !$0.paused && !$0.cancelled }) { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled || Task.isCancelled { return .failure(CancellationError()) }
                    if !state.paused { return .success(()) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Whether the host cancelled the stream.
    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// The host drained its buffer.
    func resume() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.paused = false
            state.resumes += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The host cancelled the stream (or the task was cancelled).
    func cancel() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.cancelled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: CancellationError())
    }
}
