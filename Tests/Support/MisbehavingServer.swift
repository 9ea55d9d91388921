import Glibc
import NIOCore
import NIOPosix

/// A loopback TCP server that fails in one chosen way, for the tests of how the agent words a
/// failure: real sockets, real resets, real silence.
public final class MisbehavingServer: Sendable {
    public enum Behaviour: Sendable {
        /// Takes the whole request, then closes with SO_LINGER 0: the client gets a TCP reset
        /// (once its request is out, so that it is the read that fails, every time).
        case reset
        /// Accepts and never says a thing.
        case silent
        /// Writes these bytes as soon as a connection opens (not TLS, not an answer), then waits.
        case blurt(String)
        /// Reads a request head, answers with this status and body, closes.
        case answer(status: Int, body: String)
        /// Answers registration (`POST …/register`) with 200 `{}`; resets anything else (the
        /// WebSocket upgrade).
        case registerThenReset
    }

    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Listens on 127.0.0.1 (`port` 0: a free one).
    public static func start(_ behaviour: Behaviour, port: Int = 0) async throws -> MisbehavingServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Misbehaviour(behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return MisbehavingServer(port: channel.localAddress!.port!, channel: channel)
    }

    public var httpURL: String { "http://127.0.0.1:\(port)" }
    public var webSocketURL: String { "ws://127.0.0.1:\(port)" }

    public func stop() async {
        try? await channel.close()
    }

    /// A port on which nothing listens: bound, then closed (connecting to it is refused).
    public static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    private final class Misbehaviour: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used on its channel's event loop only.
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        private var request = ""

        init(_ behaviour: Behaviour) { self.behaviour = behaviour }

        func channelActive(context: ChannelHandlerContext) {
            if case .blurt(let text) = behaviour {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            request += buffer.readString(length: buffer.readableBytes) ?? ""
            guard isComplete(request) else { return }
            switch behaviour {
            case .answer(let status, let body):
                answer(context, status: status, body: body)
            case .registerThenReset:
                if request.hasPrefix("POST ") && request.contains("/register") {
                    answer(context, status: 200, body: "{}")
                } else {
                    Self.reset(context)
                }
            case .reset: Self.reset(context)
            case .silent, .blurt: break
            }
        }

        /// The head and as many body bytes as its Content-Length says.
        private func isComplete(_ request: String) -> Bool {
            guard let end = request.utf8.firstRange(of: "\r\n\r\n".utf8) else { return false }
            let head = request.utf8[..<end.lowerBound].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self).lowercased() }
            let length = head.first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).filter { $0.isNumber }) } ?? 0
            return request.utf8[end.upperBound...].count >= length
        }

        private func answer(_ context: ChannelHandlerContext, status: Int, body: String) {
            let head = "HTTP/1.1 \(status) Test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            let channel = context.channel
            channel.writeAndFlush(ByteBuffer(string: head + body)).whenComplete { _ in channel.close(promise: nil) }
        }

        private static func reset(_ context: ChannelHandlerContext) {
            // SO_LINGER with a zero timeout: close(2) sends RST instead of FIN.
            let channel = context.channel
            let lingered = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                ?? channel.eventLoop.makeSucceededVoidFuture()
            lingered.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
