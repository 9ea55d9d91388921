import DriverModel
import NIOCore
import NIOSSL
import NIOWebSocket

extension PlatformHTTPClient {
    /// Opens a WebSocket to the platform's API (LXD's /1.0/events), over the same transport as
    /// its HTTP calls: the unix socket, or TCP with the same TLS files. Failures come back in
    /// the driver's vocabulary, like those of `request`.
    public func webSocket(_ path: String, query: [(String, String)] = [],
                          connectTimeout: Duration = .seconds(5)) async throws(DriverError) -> WebSocketClient.Connection {
        let what = "opening the WebSocket \(path)"
        let endpoint: WebSocketClient.Endpoint
        var serverName: String?
        switch address {
        case .unixSocket(let socket): endpoint = .unixSocket(path: socket)
        case .http(let host, let port, _):
            endpoint = .tcp(host: host, port: port)
            serverName = WebSocketClient.serverName(for: host)
        }
        do {
            let tls = try tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
            let request = WebSocketClient.Request(
                endpoint: endpoint, requestTarget: "\(path)\(QueryString.encode(query))", hostHeader: hostHeader,
                headers: [("User-Agent", "streamspace-agent")], tls: tls, serverName: serverName,
                connectTimeout: .nanoseconds(connectTimeout.nanoseconds))
            return try await WebSocketClient.connect(request)
        } catch let refused as WebSocketClient.NotUpgraded {
            let status = refused.status.map { Int($0.code) }
            throw PlatformErrorClass.error(platformName, status: status, message: refused.status?.reasonPhrase ?? "", what: what)
        } catch {
            throw transportError(error, what: what, timeout: connectTimeout)
        }
    }

}
