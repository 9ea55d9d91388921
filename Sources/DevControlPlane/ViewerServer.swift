import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The viewer listener: every running session at `http://host:port/sessions/<id>/`, through
/// the session tunnel. One task per browser connection; stopping cancels them all.
struct ViewerServer {
    let host: String
    let port: Int
    let opener: TunnelOpener
    let logger: Logger

    /// Binds, then serves in `task` until it is cancelled. Answers the bound port.
    func start() async throws -> (port: Int, task: Task<Void, Never>) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
                    try channel.pipeline.syncOperations.addHandler(decoder)
                    try channel.pipeline.syncOperations.addHandler(ViewerRequestFramer(decoder: decoder))
                    return try NIOAsyncChannel<ViewerPart, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let opener = self.opener, logger = self.logger
        let task = Task {
            do {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in connections {
                            group.addTask { await ViewerConnection(channel: connection, opener: opener, logger: logger).run() }
                        }
                    }
                }
            } catch {
                logger.debug("viewer listener ended", metadata: ["error": "\(error)"])
            }
        }
        return (boundPort, task)
    }
}
