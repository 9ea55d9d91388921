import NIOCore
import NIOPosix

/// One TCP connection from the agent to a session's port, for the session tunnel and the VNC
/// relay. Bytes to write come in order from `input` (its producer bounds it: a flow-control
/// window or a byte budget), each reported to `written` once the socket took it; bytes read
/// (at most `readChunk` at a time, at most two reads ahead of the consumer) go to `read`,
/// which may suspend: that is the back-pressure that stops reading a session whose far end
/// is slow. The connection is checked once made: a name the driver gave that resolves to a
/// forbidden address is closed before a byte is sent.
enum SessionPipe {
    enum Input: Sendable {
        case data(ByteBuffer)
        /// No more writes: the write side is shut (half-close); reading goes on.
        case end
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    static let connectTimeout = TimeAmount.seconds(10)

    /// Connects; throws when the connection cannot be made (refused, unreachable, timeout).
    static func connect(to target: SessionDialTarget, readChunk: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: readChunk))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2),
                                             isOutboundHalfClosureEnabled: true))
                }
            }
        if let address = channel.channel.remoteAddress?.ipAddress, let why = SessionDialTarget.forbidden(address) {
            try? await channel.channel.close()
            throw Refused(description: "\(target) resolved to \(address), \(why): never dialled")
        }
        return channel
    }

    /// Runs the connection until both directions are done (the session closed its side and
    /// `input` ended or sent `.end`), or until cancelled; the socket is closed on return.
    /// `read` returning false stops reading (the far end is gone).
    static func run(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, input: AsyncStream<Input>,
                    written: @escaping @Sendable (Int) -> Void,
                    read: @escaping @Sendable (ByteBuffer) async -> Bool,
                    readEnded: @escaping @Sendable () async -> Void) async throws {
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await item in input {
                        switch item {
                        case .data(let bytes):
                            let count = bytes.readableBytes
                            try await outbound.write(bytes)
                            written(count)
                        case .end:
                            outbound.finish()
                            return
                        }
                    }
                    outbound.finish()
                }
                group.addTask {
                    for try await chunk in inbound {
                        guard await read(chunk) else { return }
                    }
                    await readEnded()
                }
                try await group.waitForAll()
            }
        }
    }
}
