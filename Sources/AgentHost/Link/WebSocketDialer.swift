import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import PlatformKit

/// Opens the link's WebSocket with swift-nio's own parts: TLS (NIOSSL), the HTTP/1.1 upgrade
/// (NIOHTTP1's typed client upgrader) and the frame codec (NIOWebSocket). What comes back is
/// the channel as a stream of whole frames: fragments are already joined.
///
/// Why not a higher-level client: the link answers every command with three frames, and a
/// client that writes and flushes one frame per call (one thread hop, one TLS record, one
/// `write(2)` each) made those writes most of the link's cost. With the channel in hand, the
/// writer hands every frame that is ready to NIO in one call, with one flush.
enum WebSocketDialer {
    typealias Connection = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    /// The parts of a ws:// or wss:// URL that the dial needs.
    struct Target: Equatable {
        var secure: Bool
        var host: String
        var port: Int
        /// Path and query, as sent in the request line.
        var requestTarget: String

        init?(_ url: String) {
            let rest: Substring
            if url.hasPrefix("wss://") { secure = true; rest = url.dropFirst(6) }
            else if url.hasPrefix("ws://") { secure = false; rest = url.dropFirst(5) }
            else { return nil }
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            let target = rest.dropFirst(authority.count)
            requestTarget = target.isEmpty ? "/" : (target.first == "?" ? "/" + target : String(target))
            var hostPart = Substring(authority)
            var portPart: Substring?
            if hostPart.first == "[" {  // [IPv6]:port
                guard let close = hostPart.firstIndex(of: "]") else { return nil }
                let after = hostPart[hostPart.index(after: close)...]
                if after.first == ":" { portPart = after.dropFirst() } else if !after.isEmpty { return nil }
                hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            } else if let colon = hostPart.lastIndex(of: ":") {
                portPart = hostPart[hostPart.index(after: colon)...]
                hostPart = hostPart[..<colon]
            }
            guard !hostPart.isEmpty else { return nil }
            host = String(hostPart)
            if let portPart {
                guard let port = Int(portPart), (1...65535).contains(port) else { return nil }
                self.port = port
            } else {
                port = secure ? 443 : 80
            }
        }

        /// The Host header: the port only when it is not the scheme's default.
        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
        }

        /// An IP literal cannot be sent as SNI; the certificate is then checked against the
        /// address itself.
        var serverNameIndication: String? {
            if host.contains(":") { return nil }
            return host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
        }
    }

    enum DialError: Error, CustomStringConvertible {
        case invalidURL(String)
        case notUpgraded(HTTPResponseStatus?)

        var description: String {
            switch self {
            case .invalidURL(let url): "not a ws:// or wss:// URL: \(url)"
            case .notUpgraded(let status?):
                "the Control Plane answered the WebSocket upgrade with HTTP \(status.code) \(status.reasonPhrase)"
            case .notUpgraded(nil): "the Control Plane did not accept the WebSocket upgrade"
            }
        }
    }

    private enum Upgrade {
        case upgraded(Connection)
        case refused(EventLoopFuture<HTTPResponseStatus?>)
    }

    /// Connects, upgrades and returns the open WebSocket. `maxFrameBytes` bounds one frame from
    /// the server, `maxMessageBytes` one message reassembled from fragments. A server that
    /// takes the connection but does not answer the upgrade within `answerTimeout` is given up
    /// on (it would otherwise hold the link forever: pings start only once it is open).
    static func connect(url: String, headers: [(String, String)], tls: NIOSSLContext?,
                        maxFrameBytes: Int, maxMessageBytes: Int,
                        connectTimeout: TimeAmount = .seconds(10), answerTimeout: TimeAmount = .seconds(30),
                        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Connection {
        guard let target = Target(url) else { throw DialError.invalidURL(url) }
        let upgrade = try await ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrade = try configure(channel, target: target, headers: headers, tls: tls,
                                                maxFrameBytes: maxFrameBytes, maxMessageBytes: maxMessageBytes)
                    return within(answerTimeout, upgrade, on: channel)
                }
            }
        switch try await upgrade.get() {
        case .upgraded(let connection):
            return connection
        case .refused(let status):
            throw DialError.notUpgraded(try? await status.get())
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

    private static func configure(_ channel: any Channel, target: Target, headers: [(String, String)],
                                  tls: NIOSSLContext?, maxFrameBytes: Int, maxMessageBytes: Int) throws -> EventLoopFuture<Upgrade> {
        let pipeline = channel.pipeline.syncOperations
        if let tls {
            try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: target.serverNameIndication))
        }
        // Protocol errors reach the link's reader, which closes with the code that fits and
        // says why; NIO's automatic handling would close without telling it.
        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
            maxFrameSize: maxFrameBytes, enableAutomaticErrorHandling: false
        ) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                // Fragments are joined here, on the event loop; control frames pass through.
                try channel.pipeline.syncOperations.addHandler(NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxMessageBytes))
                return .upgraded(try Connection(wrappingChannelSynchronously: channel))
            }
        }
        var requestHeaders = HTTPHeaders([("Host", target.hostHeader)])
        for (name, value) in headers { requestHeaders.add(name: name, value: value) }
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.requestTarget, headers: requestHeaders)
        let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
            upgradeRequestHead: request, upgraders: [upgrader],
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

extension TimeAmount {
    /// A Swift duration as NIO's (whole nanoseconds).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
