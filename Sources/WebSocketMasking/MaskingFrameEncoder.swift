import NIOCore
import NIOHTTP1
import NIOWebSocket

/// NIO's `WebSocketFrameEncoder` with the fast mask: the same bytes on the wire (RFC 6455
/// §5.2 framing, checked against NIO's encoder by the tests), for the client side of a link
/// that sends bulk data. `MaskingWebSocketClientUpgrader` puts it where NIO's upgrader puts
/// NIO's encoder (which cannot be removed from a pipeline once there).
public final class MaskingFrameEncoder: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = WebSocketFrame
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = Self.unwrapOutboundIn(data)
        var extensionData = frame.extensionData
        var payload = frame.data
        let length = payload.readableBytes + (extensionData?.readableBytes ?? 0)

        var header = context.channel.allocator.buffer(capacity: 14)
        var first = UInt8(webSocketOpcode: frame.opcode)
        if frame.fin { first |= 0x80 }
        first |= frame.reservedBits.rawValue
        header.writeInteger(first)
        let maskBit: UInt8 = frame.maskKey == nil ? 0 : 0x80
        switch length {
        case ..<126:
            header.writeInteger(maskBit | UInt8(length))
        case ...Int(UInt16.max):
            header.writeInteger(maskBit | 126)
            header.writeInteger(UInt16(length))
        default:
            header.writeInteger(maskBit | 127)
            header.writeInteger(UInt64(length))
        }
        if let key = frame.maskKey {
            header.writeBytes(key)
            extensionData?.maskWebSocketPayload(key)
            payload.maskWebSocketPayload(key, indexOffset: (extensionData?.readableBytes ?? 0) % 4)
        }
        context.write(Self.wrapOutboundOut(header), promise: nil)
        if let extensionData { context.write(Self.wrapOutboundOut(extensionData), promise: nil) }
        context.write(Self.wrapOutboundOut(payload), promise: promise)
    }
}

/// NIO's typed WebSocket client upgrader — its request headers and its check of the server's
/// `Sec-WebSocket-Accept` — with `MaskingFrameEncoder` in the pipeline in place of NIO's
/// encoder. The decoder is NIO's.
public final class MaskingWebSocketClientUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPClientProtocolUpgrader {
    public var supportedProtocol: String { handshake.supportedProtocol }
    public var requiredUpgradeHeaders: [String] { handshake.requiredUpgradeHeaders }

    private let handshake: NIOTypedWebSocketClientUpgrader<UpgradeResult>
    private let maxFrameSize: Int
    private let enableAutomaticErrorHandling: Bool
    private let upgradePipelineHandler: @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<UpgradeResult>

    /// As `NIOTypedWebSocketClientUpgrader.init` (the same parameters and defaults).
    public init(requestKey: String = NIOWebSocketClientUpgrader.randomRequestKey(), maxFrameSize: Int = 1 << 14,
                enableAutomaticErrorHandling: Bool = true,
                upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPResponseHead) -> EventLoopFuture<UpgradeResult>) {
        handshake = NIOTypedWebSocketClientUpgrader(requestKey: requestKey, maxFrameSize: maxFrameSize,
                                                    enableAutomaticErrorHandling: enableAutomaticErrorHandling,
                                                    upgradePipelineHandler: upgradePipelineHandler)
        self.maxFrameSize = maxFrameSize
        self.enableAutomaticErrorHandling = enableAutomaticErrorHandling
        self.upgradePipelineHandler = upgradePipelineHandler
    }

    public func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        handshake.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    public func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        handshake.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
    }

    public func upgrade(channel: any Channel, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<UpgradeResult> {
        let maxFrameSize = self.maxFrameSize, automaticErrors = enableAutomaticErrorHandling
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(MaskingFrameEncoder())
            try pipeline.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)))
            if automaticErrors { try pipeline.addHandler(WebSocketProtocolErrorHandler(isServer: false)) }
        }.flatMap { [upgradePipelineHandler] in
            upgradePipelineHandler(channel, upgradeResponse)
        }
    }
}
