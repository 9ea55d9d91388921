import HTTPTypes
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import Synchronization
import WSClient

/// A raw WebSocket client standing in for an agent: records every text frame it receives,
/// sends whatever the test says. With `reading: false` it never reads, so it never answers
/// the server's pings (a silent client).
final class TestSocket: Sendable {
    private struct State: Sendable {
        var frames: [String] = []
        var binaries: [ByteBuffer] = []
        var writer: WebSocketOutboundWriter?
        var finished = false
        var failure: String?
        var closeCode: Int?
        var closeReason: String?
    }

    private let state = Mutex(State())
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation

    private init() {
        (stopSignal, stopContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    static func connect(url: String, apiKey: String?, tls: TLSConfiguration? = nil, reading: Bool = true) async throws -> TestSocket {
        let socket = TestSocket()
        var headers = HTTPFields()
        if let apiKey { headers[HTTPField.Name("X-Agent-API-Key")!] = apiKey }
        // WSClient refuses an IP address as SNI: name the host the certificates are made for.
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers,
                                                         closeTimeout: .seconds(1),
                                                         sniHostname: tls == nil ? nil : "localhost")
        let logger = testLogger("test-socket")
        Task {
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls,
                                                              logger: logger) { inbound, outbound, _ in
                    socket.state.withLock { $0.writer = outbound }
                    if reading {
                        for try await message in inbound.messages(maxSize: 4 << 20) {
                            switch message {
                            case .text(let text): socket.state.withLock { $0.frames.append(text) }
                            case .binary(let bytes): socket.state.withLock { $0.binaries.append(bytes) }
                            }
                        }
                    } else {
                        for await _ in socket.stopSignal {}
                    }
                }
                socket.state.withLock {
                    $0.closeCode = close.map { Int(UInt16(webSocketErrorCode: $0.closeCode)) }
                    $0.closeReason = close?.reason
                }
            } catch {
                socket.state.withLock { $0.failure = "\(error)" }
            }
            socket.state.withLock { $0.finished = true }
        }
        // Connected (a writer) or failed.
        let deadline = ContinuousClock.now.advanced(by: .seconds(15))
        while true {
            let (connected, finished, failure) = socket.state.withLock { ($0.writer != nil, $0.finished, $0.failure) }
            if connected { return socket }
            if finished { throw TestSocketError.connectFailed(failure ?? "closed before connecting") }
            guard ContinuousClock.now < deadline else { throw TestSocketError.connectFailed("timed out") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    var frames: [String] { state.withLock { $0.frames } }
    /// The binary messages received (tunnel data frames), in order.
    var binaries: [ByteBuffer] { state.withLock { $0.binaries } }
    var isFinished: Bool { state.withLock { $0.finished } }
    var closeCode: Int? { state.withLock { $0.closeCode } }
    var closeReason: String? { state.withLock { $0.closeReason } }

    func send(_ text: String) async throws {
        guard let writer = state.withLock({ $0.writer }) else { throw TestSocketError.notConnected }
        try await writer.write(.text(text))
    }

    func send(binary bytes: ByteBuffer) async throws {
        guard let writer = state.withLock({ $0.writer }) else { throw TestSocketError.notConnected }
        try await writer.write(.binary(bytes))
    }

    /// Closes from the client side (or just stops a silent client).
    func close() async {
        stopContinuation.finish()
        if let writer = state.withLock({ $0.writer }), !isFinished {
            try? await writer.close(.normalClosure, reason: "test done")
        }
    }

    /// Waits until at least `count` frames arrived; answers them all.
    @discardableResult
    func waitForFrames(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [String] {
        try await eventually("\(count) frame(s)", timeout: timeout) { self.frames.count >= count }
        return frames
    }

    func waitUntilFinished(timeout: Duration = .seconds(15)) async throws {
        try await eventually("the socket to close", timeout: timeout) { self.isFinished }
    }
}

enum TestSocketError: Error {
    case connectFailed(String)
    case notConnected
}

extension UInt16 {
    init(webSocketErrorCode code: WebSocketErrorCode) {
        var buffer = ByteBuffer()
        buffer.write(webSocketErrorCode: code)
        self = buffer.readInteger(as: UInt16.self) ?? 0
    }
}
