import ControlPlaneProtocol
import Logging
import Synchronization

/// Where everything the agent says goes: the current connection's single writer, or nowhere
/// while the link is down (the server queues nothing either; after reconnecting the agent
/// reports every session's true state, so nothing that matters is lost).
final class Outbox: Sendable {
    private let current = Mutex<AsyncStream<Message>.Continuation?>(nil)
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// A new connection takes over; the previous one's stream ends.
    func attach() -> AsyncStream<Message> {
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let previous = current.withLock { slot in
            defer { slot = continuation }
            return slot
        }
        previous?.finish()
        return stream
    }

    func detach() {
        current.withLock { slot in
            slot?.finish()
            slot = nil
        }
    }

    func send(_ message: Message) {
        let delivered = current.withLock { slot -> Bool in
            guard let slot else { return false }
            if case .enqueued = slot.yield(message) { return true }
            return false
        }
        if !delivered {
            logger.debug("link down: not sending \(message.type)")
        }
    }
}
