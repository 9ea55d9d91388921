import ControlPlaneProtocol
import Logging
import NIOCore
import NIOWebSocket

/// The one writer of an agent connection. Messages that are queued together go out in one
/// frame separated by `\n` (the real server's write pump does exactly this), unless batching
/// is off; raw frames and control frames always go alone.
struct OutboundWriter {
    let connection: AgentConnection
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    let channel: any Channel
    let configuration: DevControlPlaneConfiguration
    let logger: Logger

    func run() async {
        for await _ in connection.wakeups {
            if configuration.batchWindow > .zero {
                try? await Task.sleep(for: configuration.batchWindow)
            }
            let items = connection.takeQueued()
            logger.trace("writer woke", metadata: ["agent": "\(connection.agentId)", "connection": "\(connection.serial)", "items": "\(items.count)"])
            do {
                for frame in Self.frames(items, batch: configuration.batchOutgoing, maxBytes: Message.maxFrameBytes) {
                    switch frame {
                    case .frame(let frame):
                        for piece in Self.fragments(frame, maxBytes: configuration.fragmentBytes) {
                            try await outbound.write(piece)
                        }
                    case .close(let code, let reason):
                        logger.trace("sending close frame", metadata: ["agent": "\(connection.agentId)", "connection": "\(connection.serial)"])
                        var data = ByteBuffer()
                        data.write(webSocketErrorCode: code)
                        // A close reason is at most 123 bytes.
                        data.writeString(String(decoding: Array(reason.utf8.prefix(120)), as: UTF8.self))
                        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
                        // Half-close after the queued frames are flushed (closing at once could
                        // drop them), then drop the TCP connection if the agent does not.
                        outbound.finish()
                        connection.noteCloseFrameSent()
                        let channel = self.channel
                        channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
                        return
                    }
                }
            } catch {
                logger.debug("agent connection write failed", metadata: ["agent": "\(connection.agentId)", "error": "\(error)"])
                try? await channel.close()
                return
            }
        }
    }

    enum Planned {
        case frame(WebSocketFrame)
        case close(WebSocketErrorCode, String)
    }

    /// Turns queued items into frames: consecutive messages joined by `\n` up to `maxBytes`.
    static func frames(_ items: [AgentConnection.Outbound], batch: Bool, maxBytes: Int) -> [Planned] {
        var planned: [Planned] = []
        var pending: [String] = []
        var pendingBytes = 0
        func flush() {
            guard !pending.isEmpty else { return }
            planned.append(.frame(text(pending.joined(separator: "\n"))))
            pending.removeAll()
            pendingBytes = 0
        }
        for item in items {
            switch item {
            case .message(let message):
                let size = message.utf8.count
                if !batch || (!pending.isEmpty && pendingBytes + 1 + size > maxBytes) { flush() }
                pending.append(message)
                pendingBytes += (pendingBytes == 0 ? 0 : 1) + size
                if !batch { flush() }
            case .raw(let rawText):
                flush()
                planned.append(.frame(text(rawText)))
            case .binary(let data):
                flush()
                planned.append(.frame(WebSocketFrame(fin: true, opcode: .binary, data: data)))
            case .ping:
                flush()
                var data = ByteBuffer()
                data.writeString("dev-cp")
                planned.append(.frame(WebSocketFrame(fin: true, opcode: .ping, data: data)))
            case .pong(let data):
                flush()
                planned.append(.frame(WebSocketFrame(fin: true, opcode: .pong, data: data)))
            case .close(let code, let reason):
                flush()
                planned.append(.close(code, reason))
            }
        }
        flush()
        return planned
    }

    /// A text frame as a text fragment and continuation fragments of at most `maxBytes`.
    static func fragments(_ frame: WebSocketFrame, maxBytes: Int?) -> [WebSocketFrame] {
        guard let maxBytes, maxBytes > 0, frame.opcode == .text, frame.data.readableBytes > maxBytes else { return [frame] }
        var data = frame.data
        var pieces: [WebSocketFrame] = []
        while data.readableBytes > 0 {
            let chunk = data.readSlice(length: min(maxBytes, data.readableBytes))!
            pieces.append(WebSocketFrame(fin: data.readableBytes == 0, opcode: pieces.isEmpty ? .text : .continuation, data: chunk))
        }
        return pieces
    }

    private static func text(_ string: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: string))
    }
}
