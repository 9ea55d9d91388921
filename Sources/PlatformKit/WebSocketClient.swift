import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import WebSocketMasking

/// A WebSocket client from swift-nio's own parts: a unix socket or TCP, TLS (NIOSSL), the
/// HTTP/1.1 upgrade (NIOHTTP1's typed client upgrader) and the frame codec (NIOWebSocket). What
/// comes back is the channel as a stream of whole frames: fragments are already joined. The
/// agent's Control Plane link and drivers following a platform's event stream (LXD's
/// /1.0/events) both dial with it.
public enum WebSocketClient {
    public typealias Connection = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    /// Where the socket connects.
    public enum Endpoint: Sendable, Equatable {
        case unixSocket(path: String)
        case tcp(host: String, port: Int)
    }

    /// One upgrade request.
    public struct Request: Sendable {
        public var endpoint: Endpoint
        /// Path and query, as sent in the request line.
        public var requestTarget: String
        public var hostHeader: String
        public var headers: [(String, String)]
        public var tls: NIOSSLContext?
        /// The name sent as SNI and checked against the certificate; nil for an IP literal.
        public var serverName: String?
        public var maxFrameBytes: Int
        public var maxMessageBytes: Int
        public var connectTimeout: TimeAmount
        /// A server that takes the connection but does not answer the upgrade within this is
        /// given up on (it would otherwise hold the caller forever: pings start once it is open).
        public var answerTimeout: TimeAmount

        public init(endpoint: Endpoint, requestTarget: String, hostHeader: String, headers: [(String, String)] = [],
                    tls: NIOSSLContext? = nil, serverName: String? = nil, maxFrameBytes: Int = 1 << 20,
                    maxMessageBytes: Int = 4 << 20, connectTimeout: TimeAmount = .seconds(10),
                    answerTimeout: TimeAmount = .seconds(30)) {
            self.endpoint = endpoint
            self.requestTarget = requestTarget
            self.hostHeader = hostHeader
            self.headers = headers
            self.tls = tls
            self.serverName = serverName
            self.maxFrameBytes = maxFrameBytes
            self.maxMessageBytes = maxMessageBytes
            self.connectTimeout = connectTimeout
            self.answerTimeout = answerTimeout
        }
    }

    /// The server answered the upgrade with something other than 101 (its status, when read).
    public struct NotUpgraded: Error, Sendable {
        public var status: HTTPResponseStatus?
    }

    private enum Upgrade {
        case upgraded(Connection)
        case refused(EventLoopFuture<HTTPResponseStatus?>)
    }

    /// The name to send as SNI for a host: none for an IP literal, whose certificate is checked
    /// against the address itself.
    public static func serverName(for host: String) -> String? {
        if host.contains(":") { return nil }
        return host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
    }

    /// Connects, upgrades and returns the open WebSocket.
    public static func connect(_ request: Request,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Connection {
        let bootstrap = ClientBootstrap(group: group).connectTimeout(request.connectTimeout)
        let upgrade: EventLoopFuture<Upgrade>
        switch request.endpoint {
        case .unixSocket(let path):
            upgrade = try await bootstrap.connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture { within(request.answerTimeout, try configure(channel, request), on: channel) }
            }
        case .tcp(let host, let port):
            upgrade = try await bootstrap.channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { within(request.answerTimeout, try configure(channel, request), on: channel) }
                }
        }
        switch try await upgrade.get() {
        case .upgraded(let connection):
            return connection
        case .refused(let status):
            throw NotUpgraded(status: try? await status.get())
        }
    }

    /// The upgrade's outcome, or a timeout (and the channel closed) when none came in time.
    private static func within(_ timeout: TimeAmount, _ upgrade: EventLoopFuture<Upgrade>, on channel: any Channel) -> EventLoopFuture<Upgrade> {
        let outcome = channel.eventLoop.makePromise(of: Upgrade.self)
        // Both callbacks run on the channel's event loop: whichever comes first decides.
        let decided = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            guard !decided.value else { return }
            decided.value = true
            outcome.fail(TransportFailure(.timedOut, detail: "waiting for the answer to the WebSocket upgrade"))
            channel.close(promise: nil)
        }
        upgrade.whenComplete { result in
            deadline.cancel()
            guard !decided.value else { return }
            decided.value = true
            outcome.completeWith(result)
        }
        return outcome.futureResult
    }

    private static func configure(_ channel: any Channel, _ request: Request) throws -> EventLoopFuture<Upgrade> {
        let pipeline = channel.pipeline.syncOperations
        if let tls = request.tls {
            try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: request.serverName))
        }
        let maxMessageBytes = request.maxMessageBytes
        // Protocol errors reach the reader, which closes with the code that fits and says why;
        // NIO's automatic handling would close without telling it.
        let upgrader = MaskingWebSocketClientUpgrader<Upgrade>(
            maxFrameSize: request.maxFrameBytes, enableAutomaticErrorHandling: false
        ) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                // Fragments are joined here, on the event loop; control frames pass through.
                try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxMessageBytes))
                return .upgraded(try Connection(wrappingChannelSynchronously: channel))
            }
        }
        var headers = HTTPHeaders([("Host", request.hostHeader)])
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: request.requestTarget, headers: headers)
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                // The refusal's response head follows this handler down the pipeline: catch
                // its status for the error message, then close.
                channel.eventLoop.makeCompletedFuture {
                    let catcher = StatusCatcher(promise: channel.eventLoop.makePromise())
                    try channel.pipeline.syncOperations.addHandler(catcher)
                    return .refused(catcher.promise.futureResult)
                }
            })
        return try pipeline.configureUpgradableHTTPClientPipeline(configuration: .init(upgradeConfiguration: configuration))
    }

    /// Takes the status of a refused upgrade's response, then closes the channel.
    private final class StatusCatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<HTTPResponseStatus?>
        private var answered = false

        init(promise: EventLoopPromise<HTTPResponseStatus?>) { self.promise = promise }

        private func answer(_ status: HTTPResponseStatus?) {
            guard !answered else { return }
            answered = true
            promise.succeed(status)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                answer(head.status)
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer(nil)
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) { answer(nil) }
    }
}
