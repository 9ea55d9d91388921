import NIOCore
import Synchronization

/// Notices when an HTTP client goes away while a streamed answer is idle: the server channels
/// allow half-closure, so a client's FIN does not close the channel, and an idle stream would
/// never try a write that fails. Sits first in the pipeline and watches for the input closing.
final class ClientGoneWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    private let gone = Mutex(false)

    var isGone: Bool { gone.withLock { $0 } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { gone.withLock { $0 = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        gone.withLock { $0 = true }
        context.fireChannelInactive()
    }

    /// Installs a watcher on the channel; nil when that is not possible (then only failed
    /// writes end the stream).
    static func install(on channel: any Channel) async -> ClientGoneWatcher? {
        let watcher = ClientGoneWatcher()
        do {
            try await channel.pipeline.addHandler(watcher, position: .first).get()
            return watcher
        } catch {
            return nil
        }
    }
}
