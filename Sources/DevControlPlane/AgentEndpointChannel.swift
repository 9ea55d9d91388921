import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL
import NIOWebSocket

/// The agent port's child channel: plain HTTP for `register`, and the WebSocket upgrade for
/// `connect`, refused with the real server's status codes and JSON bodies (401, 403, 404,
/// 429) before the upgrade. (Hummingbird's own upgrade channel can only refuse with a bare
/// 400, and hides ping/pong frames, hence this one.)
struct AgentEndpointChannel: ServerChildChannel, HTTPChannelHandler {
    /// Who is connecting, once the gate let them through.
    struct Accepted: Sendable {
        var agentId: String
        var peer: String
    }

    typealias Gate = @Sendable (_ head: HTTPRequestHead, _ peerIP: String, _ certificateCommonName: String?) async -> Result<Accepted, AgentAnswer>
    typealias SocketHandler = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Accepted, Logger) async -> Void

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Accepted)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, AgentAnswer)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let gate: Gate
    let onSocket: SocketHandler
    let maxFrameSize: Int

    private enum Decision: Sendable {
        case accept(Accepted)
        case refuse(AgentAnswer)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decision = NIOLoopBoundBox<Decision?>(nil, eventLoop: channel.eventLoop)
            let gate = self.gate
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: maxFrameSize,
                enableAutomaticErrorHandling: true,
                shouldUpgrade: { channel, head in
                    let peerIP = channel.remoteAddress?.ipAddress ?? "unknown"
                    let commonName = Self.certificateCommonName(channel)
                    let promise = channel.eventLoop.makePromise(of: Decision.self)
                    promise.completeWithTask {
                        switch await gate(head, peerIP, commonName) {
                        case .success(let accepted): .accept(accepted)
                        case .failure(let refusal): .refuse(refusal)
                        }
                    }
                    return promise.futureResult.map { result in
                        decision.value = result
                        if case .accept = result { return HTTPHeaders() }
                        return nil
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .accept(let accepted)? = decision.value else { throw ChannelError.inappropriateOperationForState }
                        let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        return UpgradeResult.websocket(asyncChannel, accepted)
                    }
                })

            let serverUpgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refuse(let refusal)? = decision.value {
                            return UpgradeResult.refused(asyncChannel, refusal)
                        }
                        return UpgradeResult.notUpgraded(asyncChannel)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgrade)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(upgradeResult: result, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                await Self.write(refusal, to: http, logger: logger)
            case .websocket(let socket, let accepted):
                await onSocket(socket, accepted, logger)
            }
        } catch {
            logger.debug("agent connection setup failed", metadata: ["error": "\(error)"])
        }
    }

    /// The refusal as a complete HTTP response, then close (the upgrade request had no body).
    private static func write(_ refusal: AgentAnswer, to http: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger) async {
        do {
            try await http.executeThenClose { _, outbound in
                let body = ByteBuffer(string: refusal.body)
                var head = HTTPResponse(status: .init(code: refusal.status))
                head.headerFields[.contentType] = "application/json; charset=utf-8"
                head.headerFields[.contentLength] = String(body.readableBytes)
                head.headerFields[.connection] = "close"
                if refusal.status == 429 { head.headerFields[.retryAfter] = "60" }
                try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
            }
        } catch {
            logger.trace("could not write the refusal", metadata: ["error": "\(error)"])
        }
    }

    /// The CN of the verified client certificate, when the connection is mutual TLS.
    static func certificateCommonName(_ channel: any Channel) -> String? {
        guard let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate() else { return nil }
        return certificate.subjectName.last { $0.type == .commonName }?.value
    }
}
