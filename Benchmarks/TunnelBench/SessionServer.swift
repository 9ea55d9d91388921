import NIOCore
import NIOPosix

/// What the benchmark's session serves on loopback, over HTTP/1.1 with `Connection: close`:
/// `/bytes/N` answers N bytes, `/small` thirteen, `/flood` bytes without end (as fast as the
/// socket takes them). The same server answers the direct baseline and the tunnel.
final class SessionServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(port: Int) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(Handler()) }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    func stop() async { try? await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var request = ByteBuffer()
        private var remaining = 0  // bytes of body still to write; -1: without end
        private var answering = false
        private static let chunk = ByteBuffer(repeating: 0x5A, count: 64 * 1024)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answering else { return }
            var bytes = unwrapInboundIn(data)
            request.writeBuffer(&bytes)
            let text = String(buffer: request)
            guard text.contains("\r\n\r\n") else { return }
            answering = true
            let path = text.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "/"
            let body: Int
            if path == "/small" {
                body = 13
            } else if path == "/flood" {
                body = -1
            } else if path.hasPrefix("/bytes/"), let count = Int(path.dropFirst("/bytes/".count)) {
                body = count
            } else {
                body = 0
            }
            var head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
            if body >= 0 { head += "Content-Length: \(body)\r\n" }
            head += "\r\n"
            context.write(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
            if body == 13 {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "hello, world\n")), promise: nil)
                context.close(promise: nil)
                return
            }
            remaining = body
            pump(context)
        }

        func channelWritabilityChanged(context: ChannelHandlerContext) { pump(context) }

        private func pump(_ context: ChannelHandlerContext) {
            guard answering else { return }
            while context.channel.isWritable, remaining != 0 {
                let count = remaining < 0 ? Self.chunk.readableBytes : min(remaining, Self.chunk.readableBytes)
                context.write(wrapOutboundOut(Self.chunk.getSlice(at: 0, length: count)!), promise: nil)
                if remaining > 0 { remaining -= count }
            }
            context.flush()
            if remaining == 0 {
                answering = false
                remaining = -2  // done: nothing more to pump
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
