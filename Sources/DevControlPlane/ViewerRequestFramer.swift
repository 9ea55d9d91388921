import NIOCore
import NIOHTTP1

/// What a browser connection of the viewer delivers: one request read by NIOHTTP1, then,
/// after an upgrade request (a WebSocket), the connection's raw bytes.
enum ViewerPart: Sendable {
    case head(HTTPRequestHead)
    case body(ByteBuffer)
    case end
    case raw(ByteBuffer)
}

/// Sits after NIOHTTP1's request decoder. After an upgrade request's end it steps aside (as
/// NIO's own upgrade handler does): it removes itself and the decoder, whose unparsed bytes
/// and everything after go on as `.raw`. Parts of a second request on the same connection
/// are dropped: the viewer serves one request per connection (`Connection: close`).
final class ViewerRequestFramer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ViewerPart

    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private var isUpgrade = false
    private var done = false

    init(decoder: ByteToMessageHandler<HTTPRequestDecoder>) { self.decoder = decoder }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            isUpgrade = head.headers.contains(name: "upgrade")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body(let bytes):
            context.fireChannelRead(wrapInboundOut(.body(bytes)))
        case .end:
            done = true
            context.fireChannelRead(wrapInboundOut(.end))
            guard isUpgrade else { return }
            let pipeline = context.pipeline.syncOperations
            do {
                try pipeline.addHandler(RawBytes(), position: .after(self))
                pipeline.removeHandler(context: context, promise: nil)
                pipeline.removeHandler(decoder, promise: nil)
            } catch {
                context.fireErrorCaught(error)
            }
        }
    }

    /// The raw bytes after an upgrade.
    final class RawBytes: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ViewerPart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(wrapInboundOut(.raw(unwrapInboundIn(data))))
        }
    }
}
