import DevControlPlane
import NIOCore
import NIOPosix

/// One HTTP request, answered to its end: the three ways the benchmark reaches the session.
enum Fetch {
    /// What came back: every byte, head included (the answers are the same size every way).
    struct Answer { var bytes: Int }

    static func request(_ path: String) -> ByteBuffer {
        ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    }

    /// A TCP connection of its own to `port` on loopback (the session directly, or the viewer).
    static func tcp(port: Int, path: String) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(request(path))
            var bytes = 0
            for try await chunk in inbound { bytes += chunk.readableBytes }
            return Answer(bytes: bytes)
        }
    }

    /// A tunnel stream from the control plane through the agent to the session's port.
    static func tunnel(_ cp: DevControlPlane, agentId: String, sessionId: String, port: Int, path: String) async throws -> Answer {
        let stream = try await cp.openTunnel(agentId: agentId, sessionId: sessionId, port: port)
        try await stream.write(request(path))
        var bytes = 0
        for try await chunk in stream.inbound { bytes += chunk.readableBytes }
        stream.end()
        return Answer(bytes: bytes)
    }
}
