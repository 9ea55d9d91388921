import ControlPlaneProtocol
import DriverModel
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOWebSocket
import WSClient

/// One WebSocket connection to the Control Plane, from the upgrade to the close. Three loops
/// share it: the reader (decode, dispatch — never waits on a driver), the single writer (one
/// JSON value per frame), and the heartbeat. WebSocket pings are sent by the client library
/// every `pingInterval`; a ping left without a pong by the next one closes the connection
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
    let logger: Logger

    /// Connects and serves until the connection closes; throws when it could not connect.
    func run(onConnected: @escaping @Sendable () -> Void) async throws -> String {
        var headers = HTTPFields()
        if let apiKey, let name = HTTPField.Name(Registration.apiKeyHeader) { headers[name] = apiKey }
        let clientConfiguration = WebSocketClientConfiguration(
            maxFrameSize: Message.maxFrameBytes,
            additionalHeaders: headers,
            autoPing: .enabled(timePeriod: configuration.pingInterval),
            validateUTF8: true)
        let closeFrame = try await WebSocketClient.connect(
            url: configuration.connectURL, configuration: clientConfiguration,
            tlsConfiguration: configuration.isSecure ? tlsConfiguration : nil,
            logger: logger
        ) { inbound, outbound, _ in
            let generation = outbox.attach()
            onConnected()
            defer {
                outbox.detach()
                logs.cancelAll()
            }
            // The connection is over when the reader sees the end, or when a write fails (a
            // socket that died without a close frame: heartbeats find it within one interval).
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await readLoop(inbound); return true }
                group.addTask { try await writeLoop(generation, outbound); return true }
                group.addTask { try await heartbeatLoop(); return true }
                group.addTask { await reporter.reportAll(reason: "connected"); return false }
                group.addTask { try await every(configuration.syncInterval) { await reporter.sync() }; return true }
                group.addTask {
                    try await Task.sleep(for: configuration.firstMetricsDelay)
                    try await every(configuration.metricsInterval, now: true) { await metrics.report() }
                    return true
                }
                defer { group.cancelAll() }
                while let connectionEnded = try await group.next() {
                    if connectionEnded { return }
                }
            }
        }
        return closeFrame.map { "closed by the Control Plane (\($0.closeCode)\($0.reason.map { ": \($0)" } ?? ""))" }
            ?? "connection closed"
    }

    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        for try await message in inbound.messages(maxSize: 4 * Message.maxFrameBytes) {
            guard case .text(let text) = message else {
                logger.warning("ignoring a binary frame from the Control Plane")
                continue
            }
            // The server batches messages in one frame, separated by newlines.
            for decoded in Message.decodeFrame(text) {
                switch decoded {
                case .success(let message): await dispatch(message)
                case .failure(let error): logger.warning("ignoring an unreadable message from the Control Plane: \(error)")
                }
            }
        }
    }

    private func dispatch(_ message: Message) async {
        switch message.type {
        case "command":
            switch Command.parse(message.payload) {
            case .success(let command): await executor.receive(command)
            case .failure(let error): logger.warning("ignoring a command without a usable commandId: \(error)")
            }
        case "logs_request":
            logs.open(message.payload)
        case "logs_cancel":
            logs.cancel(message.payload)
        case "ping":
            break  // defined by the server, unused; WebSocket pings keep the link alive
        case "shutdown":
            logger.notice("the Control Plane asked this agent to shut down; the link stays up until the process is stopped")
        default:
            logger.debug("ignoring message type \(message.type.debugDescription)")
        }
    }

    private func writeLoop(_ generation: Int, _ outbound: WebSocketOutboundWriter) async throws {
        while let (message, bulkBytes) = await outbox.next(generation: generation) {
            defer { outbox.release(bulkBytes) }
            let bytes = message.encodedBytes()
            guard bytes.count <= Message.maxFrameBytes else {
                // The server closes the socket on a larger frame: never send one.
                logger.error("not sending a \(message.type) message of \(bytes.count) bytes (the limit is \(Message.maxFrameBytes))")
                continue
            }
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes))))
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
