import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket

/// Builds the two HTTP applications: the agent endpoint (HTTP + WebSocket, optionally TLS /
/// mutual TLS) and the admin API (plain HTTP, loopback by default).
enum ServerFactory {
    static func agentApplication(store: ControlPlaneStore, limiter: RateLimiter, configuration: DevControlPlaneConfiguration,
                                 logger: Logger, onRunning: @escaping @Sendable (any Channel) async -> Void) throws -> some ApplicationProtocol {
        let routes = AgentRoutes(store: store, limiter: limiter)
        let maxFrame = configuration.maxMessageBytes
        let onSocket: AgentEndpointChannel.SocketHandler = { socket, accepted, logger in
            await runSocket(socket, accepted: accepted, store: store, configuration: configuration, logger: logger)
        }
        let gate: AgentEndpointChannel.Gate = { head, ip, commonName in
            await routes.gate(head, peerIP: ip, certificateCommonName: commonName)
        }
        var server = HTTPServerBuilder { responder in
            AgentEndpointChannel(responder: responder, gate: gate, onSocket: onSocket, maxFrameSize: maxFrame)
        }
        if let tls = configuration.tls {
            server = try .tls(server, tlsConfiguration: try tlsConfiguration(tls))
        }
        return Application(
            router: routes.router(), server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: onRunning, logger: logger)
    }

    static func adminApplication(store: ControlPlaneStore, configuration: DevControlPlaneConfiguration, logger: Logger,
                                 onRunning: @escaping @Sendable (any Channel) async -> Void) -> some ApplicationProtocol {
        Application(
            router: AdminRoutes(store: store, configuration: configuration).router(),
            configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort), serverName: nil),
            onServerRunning: onRunning, logger: logger)
    }

    /// Server certificate and key; with a client CA, a client certificate signed by it is
    /// required in the handshake (no certificate, or one from another CA: refused).
    static func tlsConfiguration(_ tls: DevControlPlaneConfiguration.TLS) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile)
        } catch {
            throw DevControlPlaneError.invalidConfiguration("cannot read the TLS certificate \(tls.certificateFile): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw DevControlPlaneError.invalidConfiguration("cannot read the TLS private key \(tls.privateKeyFile): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let ca = tls.clientCAFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw DevControlPlaneError.invalidConfiguration("cannot read the client CA \(ca): \(error)")
            }
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    /// One accepted agent socket, from attach to detach.
    static func runSocket(_ socket: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, accepted: AgentEndpointChannel.Accepted,
                          store: ControlPlaneStore, configuration: DevControlPlaneConfiguration, logger: Logger) async {
        let attached = await store.attach(agentId: accepted.agentId, peer: accepted.peer)
        attached.replaced?.close(.normalClosure, reason: "replaced by a new connection of the same agent")
        if let reason = attached.closeReason {
            attached.connection.close(.normalClosure, reason: reason)
        }
        let session = AgentSocketSession(channel: socket, connection: attached.connection, store: store,
                                         configuration: configuration, logger: logger)
        let reason = await session.run()
        await store.detach(attached.connection, reason: reason)
    }
}
