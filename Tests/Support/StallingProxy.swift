import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy in front of a server that can make the connections it carries go silent: after
/// `stall()`, every connection open at that moment stays open but nothing crosses it any more,
/// in either direction — a path that drops packets without a reset (a NAT or firewall that
/// forgot the flow). Connections opened later pass normally.
public final class StallingProxy: Sendable {
    public let port: Int
    private let channel: any Channel
    private let shared: Shared

    final class Shared: Sendable {
        let targetPort = Atomic<Int>(0)
        /// Connections numbered below this one are stalled.
        let stalledBelow = Atomic<Int>(0)
        let opened = Atomic<Int>(0)
    }

    private init(port: Int, channel: any Channel, shared: Shared) {
        self.port = port
        self.channel = channel
        self.shared = shared
    }

    /// Listens on a free loopback port; set `targetPort` before the first connection.
    public static func start() async throws -> StallingProxy {
        let shared = Shared()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let number = shared.opened.wrappingAdd(1, ordering: .relaxed).oldValue
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: shared.targetPort.load(ordering: .relaxed))
                    .flatMap { outbound in
                        let toServer = Forwarder(partner: outbound, number: number, shared: shared)
                        let toClient = Forwarder(partner: inbound, number: number, shared: shared)
                        return inbound.pipeline.addHandler(toServer).flatMap { outbound.pipeline.addHandler(toClient) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return StallingProxy(port: channel.localAddress!.port!, channel: channel, shared: shared)
    }

    public var targetPort: Int {
        get { shared.targetPort.load(ordering: .relaxed) }
        set { shared.targetPort.store(newValue, ordering: .relaxed) }
    }

    /// Silences every connection open now.
    public func stall() {
        shared.stalledBelow.store(shared.opened.load(ordering: .relaxed), ordering: .relaxed)
    }

    public func stop() async {
        try? await channel.close()
    }

    private final class Forwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let partner: any Channel
        let number: Int
        let shared: Shared

        init(partner: any Channel, number: Int, shared: Shared) {
            self.partner = partner
            self.number = number
            self.shared = shared
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard number >= shared.stalledBelow.load(ordering: .relaxed) else { return }  // dropped
            partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
