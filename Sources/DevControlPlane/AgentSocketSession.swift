import ControlPlaneProtocol
import Logging
import NIOCore
import NIOWebSocket
import WebSocketMasking

/// Runs one accepted agent WebSocket: a reader that reassembles and decodes frames, a single
/// writer that drains the connection's queue (batching messages queued together, as the real
/// server does), and the ping / pong-timeout timers. Control frames are handled here, so the
/// rule "only ping/pong control frames keep the connection alive" is exact.
struct AgentSocketSession {
    let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    let connection: AgentConnection
    let store: ControlPlaneStore
    let configuration: DevControlPlaneConfiguration
    let logger: Logger

    private enum Finished { case writer, timers, grace }

    /// Returns when the connection is gone, with the reason.
    func run() async -> String {
        let rawChannel = channel.channel
        let readerReason: String
        do {
            readerReason = try await channel.executeThenClose { inbound, outbound in
                await withTaskGroup(of: Finished.self) { group in
                    group.addTask {
                        await OutboundWriter(connection: connection, outbound: outbound, channel: rawChannel,
                                             configuration: configuration, logger: logger).run()
                        return .writer
                    }
                    group.addTask {
                        await runTimers()
                        return .timers
                    }
                    let reason = await read(inbound)
                    logger.trace("reader ended", metadata: ["agent": "\(connection.agentId)", "connection": "\(connection.serial)", "reason": "\(reason)"])
                    connection.close(reason: reason)
                    if !connection.closeFrameSent {
                        // Give the writer a moment to send the close frame (it returns once it
                        // did), then stop everything.
                        group.addTask {
                            try? await Task.sleep(for: .seconds(2))
                            return .grace
                        }
                        while let finished = await group.next(), finished == .timers {}
                    }
                    group.cancelAll()
                    return reason
                }
            }
        } catch {
            readerReason = "connection error: \(error)"
        }
        connection.finish()
        let reason = connection.closeReason ?? readerReason
        connection.tunnels.closeAll(reason: reason)
        return reason
    }

    // MARK: Reading

    private func read(_ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>) async -> String {
        var assembling: ByteBuffer?
        var assemblingBinary = false
        do {
            for try await frame in inbound {
                await connection.waitWhileReadingPaused()
                switch frame.opcode {
                case .ping:
                    connection.noteControlFrame()
                    guard frame.fin, frame.length < 126 else { return protocolError("invalid ping frame") }
                    connection.enqueue([.pong(frame.unmaskedPayload)])
                case .pong:
                    connection.noteControlFrame()
                case .connectionClose:
                    var data = frame.unmaskedPayload
                    let code = data.readWebSocketErrorCode()
                    connection.close(.normalClosure, reason: "closed by the agent" + (code.map { " (code \(describe($0)))" } ?? ""))
                    return "closed by the agent"
                case .text, .binary:
                    guard assembling == nil else { return protocolError("a new message started inside a fragmented one") }
                    if frame.fin {
                        guard await deliver(frame.unmaskedPayload, binary: frame.opcode == .binary) else { return tooLarge() }
                    } else {
                        assembling = frame.unmaskedPayload
                        assemblingBinary = frame.opcode == .binary
                    }
                case .continuation:
                    guard var buffer = assembling else { return protocolError("a continuation frame without a message") }
                    var data = frame.unmaskedPayload
                    guard buffer.readableBytes + data.readableBytes <= configuration.maxMessageBytes else { return tooLarge() }
                    buffer.writeBuffer(&data)
                    if frame.fin {
                        assembling = nil
                        guard await deliver(buffer, binary: assemblingBinary) else { return tooLarge() }
                    } else {
                        assembling = buffer
                    }
                default:
                    return protocolError("reserved opcode \(frame.opcode)")
                }
                if connection.isClosing { return connection.closeReason ?? "closing" }
            }
            return "connection closed by the agent"
        } catch {
            return "read error: \(error)"
        }
    }

    /// False when the message is larger than the limit. Binary messages are tunnel data;
    /// tunnel control messages go to their stream, the rest to the store.
    private func deliver(_ buffer: ByteBuffer, binary: Bool) async -> Bool {
        guard buffer.readableBytes <= configuration.maxMessageBytes else { return false }
        let router = TunnelRouter(connection: connection, store: store)
        if binary {
            await router.data(buffer)
            return true
        }
        // Go reads frames as bytes and coerces invalid UTF-8 to U+FFFD, as String(decoding:) does.
        let text = String(buffer: buffer)
        let outcome = InboundDecoding.decode(text)
        if case .message(let message) = outcome, TunnelMessage.types.contains(message.type) {
            await router.control(message, text: text, bytes: buffer.readableBytes)
            return true
        }
        await store.receive(outcome, text: text, bytes: buffer.readableBytes, from: connection)
        return true
    }

    private func tooLarge() -> String {
        let reason = "message larger than \(configuration.maxMessageBytes) bytes"
        connection.close(.messageTooLarge, reason: reason)
        return reason
    }

    private func protocolError(_ detail: String) -> String {
        let reason = "WebSocket protocol error: \(detail)"
        connection.close(.protocolError, reason: reason)
        return reason
    }

    private func describe(_ code: WebSocketErrorCode) -> String {
        String(UInt16(webSocketErrorCode: code))
    }

    // MARK: Timers

    /// Pings every `pingInterval`; closes when no ping or pong came from the agent for
    /// `pongTimeout`. Data frames do not count.
    private func runTimers() async {
        let clock = ContinuousClock()
        var nextPing = clock.now.advanced(by: configuration.pingInterval)
        while !Task.isCancelled, !connection.isClosing {
            let deadline = connection.lastControlFrame.advanced(by: configuration.pongTimeout)
            let now = clock.now
            if now >= deadline {
                let reason = "no ping or pong control frame from the agent for \(configuration.pongTimeout)"
                logger.info("closing agent connection: \(reason)", metadata: ["agent": "\(connection.agentId)"])
                connection.close(.goingAway, reason: reason)
                return
            }
            if now >= nextPing {
                if connection.enqueue([.ping]) { connection.notePingSent() }
                nextPing = now.advanced(by: configuration.pingInterval)
                continue
            }
            do {
                try await Task.sleep(until: min(deadline, nextPing), clock: clock)
            } catch {
                return
            }
        }
    }
}

extension UInt16 {
    init(webSocketErrorCode code: WebSocketErrorCode) {
        var buffer = ByteBuffer()
        buffer.write(webSocketErrorCode: code)
        self = buffer.readInteger(as: UInt16.self) ?? 0
    }
}
