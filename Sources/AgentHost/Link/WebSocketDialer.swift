import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import PlatformKit

/// Opens the link's WebSocket to a ws:// or wss:// URL with PlatformKit's `WebSocketClient`
/// (swift-nio's own parts: TLS, the HTTP/1.1 upgrade, the frame codec). What comes back is
/// the channel as a stream of whole frames: fragments are already joined.
///
/// Why not a higher-level client: the link answers every command with three frames, and a
/// client that writes and flushes one frame per call (one thread hop, one TLS record, one
/// `write(2)` each) made those writes most of the link's cost. With the channel in hand, the
/// writer hands every frame that is ready to NIO in one call, with one flush.
enum WebSocketDialer {
    typealias Connection = WebSocketClient.Connection

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
        var serverNameIndication: String? { WebSocketClient.serverName(for: host) }
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

    /// Connects, upgrades and returns the open WebSocket. `maxFrameBytes` bounds one frame from
    /// the server, `maxMessageBytes` one message reassembled from fragments. A server that
    /// takes the connection but does not answer the upgrade within `answerTimeout` is given up
    /// on (it would otherwise hold the link forever: pings start only once it is open).
    static func connect(url: String, headers: [(String, String)], tls: NIOSSLContext?,
                        maxFrameBytes: Int, maxMessageBytes: Int,
                        connectTimeout: TimeAmount = .seconds(10), answerTimeout: TimeAmount = .seconds(30),
                        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> Connection {
        guard let target = Target(url) else { throw DialError.invalidURL(url) }
        let request = WebSocketClient.Request(
            endpoint: .tcp(host: target.host, port: target.port), requestTarget: target.requestTarget,
            hostHeader: target.hostHeader, headers: headers, tls: tls, serverName: target.serverNameIndication,
            maxFrameBytes: maxFrameBytes, maxMessageBytes: maxMessageBytes, connectTimeout: connectTimeout,
            answerTimeout: answerTimeout)
        do {
            return try await WebSocketClient.connect(request, group: group)
        } catch let refused as WebSocketClient.NotUpgraded {
            throw DialError.notUpgraded(refused.status)
        }
    }
}

extension TimeAmount {
    /// A Swift duration as NIO's (whole nanoseconds).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
