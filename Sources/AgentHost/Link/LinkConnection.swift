import ControlPlaneProtocol
import DriverModel
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket

/// One WebSocket connection to the Control Plane, from the upgrade to the close. Loops share
/// it: the reader (decode, dispatch — never waits on a driver; answers pings), the single
/// writer (one JSON value per frame; every frame that is ready goes out with one flush), the
/// pinger and the heartbeat. A ping left without a pong by the next one closes the connection
/// (the watchdog that declares a silent link dead).
struct LinkConnection: Sendable {
    let configuration: LinkConfiguration
    let apiKey: String?
    let tlsConfiguration: TLSConfiguration?
    let outbox: Outbox
    let executor: CommandExecutor
    let cache: SessionCache
    let reporter: SessionReporter
    let logs: LogForwarder
    let metrics: MetricsReporter
    let traffic: SessionTraffic
    let logger: Logger

    /// The most messages the writer hands to the channel in one flush.
    static let writeBatch = 64

    /// Connects and serves until the connection closes; returns why it closed. Throws when it
    /// could not connect, and CancellationError when the agent is stopping.
    func run(onConnected: @escaping @Sendable () -> Void) async throws -> String {
        var headers: [(String, String)] = []
        if let apiKey { headers.append((Registration.apiKeyHeader, apiKey)) }
        let tls = try configuration.isSecure
            ? NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil
        let channel = try await WebSocketDialer.connect(
            url: configuration.connectURL, headers: headers, tls: tls,
            maxFrameBytes: Message.maxInboundFrameBytes, maxMessageBytes: Message.maxInboundFrameBytes,
            answerTimeout: TimeAmount(configuration.answerTimeout))
        return try await channel.executeThenClose { inbound, outbound in
            let socket = FrameWriter(outbound)
            let generation = outbox.attach()
            onConnected()
            defer {
                outbox.detach()
                logs.cancelAll()
                traffic.closeAll()
            }
            // The connection is over when the reader sees its end, when a write fails (a socket
            // that died without a close frame: heartbeats find it within one interval) or when a
            // ping goes unanswered. The other loops return nil and run on.
            let ending: String
            do {
                ending = try await withThrowingTaskGroup(of: String?.self) { group in
                    group.addTask { try await readLoop(inbound, socket) }
                    group.addTask { try await writeLoop(generation, socket); return "connection closed" }
                    group.addTask { try await pingLoop(socket) }
                    group.addTask { try await heartbeatLoop(); return "connection closed" }
                    group.addTask { await reporter.reportAll(reason: "connected"); return nil }
                    group.addTask { try await every(configuration.syncInterval) { await reporter.sync() }; return nil }
                    group.addTask {
                        try await Task.sleep(for: configuration.firstMetricsDelay)
                        try await every(configuration.metricsInterval, now: true) { await metrics.report() }
                        return nil
                    }
                    defer { group.cancelAll() }
                    while let result = try await group.next() {
                        if let ending = result { return ending }
                    }
                    return "connection closed"
                }
            } catch where Task.isCancelled {
                ending = "agent stopping"
            } catch {
                // Connected, then broken: a protocol error, a reset, a failed write.
                ending = LinkFailureWording.explain(error)
            }
            if Task.isCancelled {
                // The agent is stopping: say so, and let the server answer and close the TCP
                // connection first (RFC 6455 §7.1.1), for at most a moment. (From a task of its
                // own: NIO's writer refuses writes from a cancelled task.)
                await Task { try? await socket.close(.goingAway, reason: "agent stopping") }.value
                let connection = channel.channel
                let deadline = connection.eventLoop.scheduleTask(in: .seconds(2)) { connection.close(promise: nil) }
                try? await connection.closeFuture.get()
                deadline.cancel()
                throw CancellationError()
            }
            return ending
        }
    }

    /// Reads until the connection ends; returns why it ended.
    private func readLoop(_ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, _ socket: FrameWriter) async throws -> String {
        do {
            return try await readFrames(inbound, socket)
        } catch let error as NIOWebSocketError {
            // The codec refused a frame: close with the code that says why (RFC 6455 §7.4.1).
            let (code, what): (WebSocketErrorCode, String) = switch error {
            case .invalidFrameLength: (.messageTooLarge, "a frame over the \(Message.maxInboundFrameBytes >> 20) MiB limit")
            case .fragmentedControlFrame, .multiByteControlFrameLength: (.protocolError, "an invalid control frame")
            }
            try? await socket.close(code, reason: nil)
            return "the Control Plane sent \(what); closed with \(UInt16(webSocketErrorCode: code))"
        } catch let error as NIOWebSocketFrameAggregator.Error {
            let (code, what): (WebSocketErrorCode, String) = error == .accumulatedFrameSizeIsTooLarge
                ? (.messageTooLarge, "a fragmented message over the \(Message.maxInboundFrameBytes >> 20) MiB limit")
                : (.protocolError, "fragments out of order (\(error))")
            try? await socket.close(code, reason: nil)
            return "the Control Plane sent \(what); closed with \(UInt16(webSocketErrorCode: code))"
        }
    }

    private func readFrames(_ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>, _ socket: FrameWriter) async throws -> String {
        for try await frame in inbound {
            switch frame.opcode {
            case .text:
                let bytes = frame.unmaskedData.readableBytesView
                guard String(validating: bytes, as: UTF8.self) != nil else {
                    try? await socket.close(.dataInconsistentWithMessage, reason: "text frame is not UTF-8")
                    return "the Control Plane sent a text frame that is not UTF-8"
                }
                // The server batches messages in one frame, separated by newlines.
                for line in Message.lines(of: bytes) { await receive(line) }
            case .binary:
                // Only the session tunnel's data frames are binary.
                traffic.receiveData(frame.unmaskedData)
            case .ping:
                try await socket.send(.pong, frame.unmaskedData)
            case .pong:
                socket.pongArrived(frame.unmaskedData)
            case .connectionClose:
                var data = frame.unmaskedData
                let code = data.readableBytes >= 2 ? data.readInteger(as: UInt16.self) : nil
                let reason = data.readString(length: data.readableBytes).flatMap { $0.isEmpty ? nil : $0 }
                // Answer with the same code (RFC 6455 §5.5.1), or a plain normal closure.
                try? await socket.close(code.map { WebSocketErrorCode(codeNumber: Int($0)) } ?? .normalClosure, reason: nil)
                return "closed by the Control Plane (\(code.map { "\($0)" } ?? "no code")\(reason.map { ": \($0)" } ?? ""))"
            default:
                try? await socket.close(.protocolError, reason: "unexpected frame")
                return "the Control Plane sent a frame of an unknown kind (opcode \(frame.opcode))"
            }
        }
        return "connection closed"
    }

    /// Pings every `pingInterval`; a ping still unanswered at the next tick ends the connection.
    private func pingLoop(_ socket: FrameWriter) async throws -> String? {
        while true {
            try await Task.sleep(for: configuration.pingInterval)
            if socket.pingOutstanding {
                return "no pong from the Control Plane within \(configuration.pingInterval): connection declared dead"
            }
            try await socket.ping()
        }
    }

    /// One message of a frame. Whatever is wrong with it, a command whose id can be read gets
    /// its answer (`failed`, with the reason); the log names what it was.
    private func receive(_ line: ArraySlice<UInt8>) async {
        let problem: String
        if line.count > Message.maxInboundMessageBytes {
            problem = "is \(line.count) bytes, over the \(Message.maxInboundMessageBytes >> 20) MiB this agent reads"
        } else {
            switch Message.decode(bytes: line) {
            case .success(let message): return await dispatch(message)
            case .failure(let error): problem = "cannot be read: \(error)"
            }
        }
        let seen = Message.salvage(line)
        let what = seen?.type.map { "a \($0.debugDescription) message" } ?? "a message"
        guard let commandId = seen?.commandId else {
            logger.warning("ignoring \(what) from the Control Plane that \(problem)")
            return
        }
        logger.warning("answering command \(commandId) failed: \(what) that \(problem)")
        await executor.refuse(commandId, reason: "the command \(problem)")
    }

    private func dispatch(_ message: Message) async {
        switch message.type {
        case "command":
            switch Command.parse(message.payload) {
            case .success(let command): await executor.receive(command)
            case .failure(let unreadable):
                guard let commandId = unreadable.commandId else {
                    logger.warning("ignoring a command that cannot be answered: \(unreadable.reason)")
                    return
                }
                logger.warning("answering command \(commandId) failed: \(unreadable.reason)")
                await executor.refuse(commandId, reason: unreadable.reason)
            }
        case "logs_request":
            logs.open(message.payload)
        case "logs_cancel":
            logs.cancel(message.payload)
        case let type where SessionTraffic.handles(type):
            traffic.receive(message)
        case "ping":
            break  // defined by the server, unused; WebSocket pings keep the link alive
        case "shutdown":
            logger.notice("the Control Plane asked this agent to shut down; the link stays up until the process is stopped")
        default:
            logger.debug("ignoring message type \(message.type.debugDescription)")
        }
    }

    /// The single writer: takes every message that is ready (control first, at most
    /// `writeBatch`) and hands their frames to the channel with one flush.
    private func writeLoop(_ generation: Int, _ socket: FrameWriter) async throws {
        var batch: [(item: Outbox.Item, bulkBytes: Int)] = []
        var frames: [(opcode: WebSocketOpcode, data: ByteBuffer)] = []
        while let first = await outbox.next(generation: generation) {
            batch.append(first)
            while batch.count < Self.writeBatch, let more = outbox.nextReady(generation: generation) { batch.append(more) }
            for (item, _) in batch {
                let message: Message
                switch item {
                case .binary(let frame):
                    frames.append((.binary, frame))
                    continue
                case .message(let text):
                    message = text
                }
                var bytes = message.encodedBytes()
                if bytes.count > Message.maxFrameBytes {
                    // The server closes the socket on a larger frame: cut its longest texts.
                    guard let fitted = message.fitted() else {
                        logger.error("not sending a \(message.type) message of \(bytes.count) bytes: cutting its texts cannot bring it under the \(Message.maxFrameBytes / 1024) KiB limit")
                        continue
                    }
                    logger.warning("cut the texts of a \(message.type) message of \(bytes.count) bytes to fit the \(Message.maxFrameBytes / 1024) KiB limit")
                    bytes = fitted.encodedBytes()
                }
                frames.append((.text, ByteBuffer(bytes: bytes)))
            }
            let credit = batch.reduce(0) { $0 + $1.bulkBytes }
            batch.removeAll(keepingCapacity: true)
            defer { outbox.release(credit) }
            try await socket.sendData(frames)
            frames.removeAll(keepingCapacity: true)
        }
    }

    /// Runs `body` every `interval` until cancelled (first after one interval, or now).
    private func every(_ interval: Duration, now: Bool = false, _ body: @Sendable () async -> Void) async throws {
        if !now { try await Task.sleep(for: interval) }
        while !Task.isCancelled {
            await body()
            try await Task.sleep(for: interval)
        }
    }

    private func heartbeatLoop() async throws {
        while !Task.isCancelled {
            outbox.send(AgentMessage.heartbeat(activeSessions: cache.activeCount, capacity: configuration.capacity))
            try await Task.sleep(for: configuration.heartbeatInterval)
        }
    }
}
