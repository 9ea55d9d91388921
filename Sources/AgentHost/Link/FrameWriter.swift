import Glibc
import NIOCore
import NIOWebSocket
import Synchronization

/// The outgoing side of the link's WebSocket. Several loops write through it (the single
/// message writer, pongs, pings, the close), so it keeps what they share: the mask keys, the
/// ping in flight, and whether the close frame has gone out (nothing may follow it).
final class FrameWriter: Sendable {
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    private struct State {
        var keys = MaskKeys()
        var pingSerial: UInt64 = 0
        var pingOutstanding: UInt64?
        var closeSent = false
    }
    private let state = Mutex(State())

    init(_ outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) {
        self.outbound = outbound
    }

    /// Data frames (text: one message each; binary: one tunnel data frame each), handed to the
    /// channel together: one flush.
    func sendData(_ payloads: [(opcode: WebSocketOpcode, data: ByteBuffer)]) async throws {
        guard !payloads.isEmpty else { return }
        let frames: [WebSocketFrame]? = state.withLock { state in
            guard !state.closeSent else { return nil }
            return payloads.map { WebSocketFrame(fin: true, opcode: $0.opcode, maskKey: state.keys.next(), data: $0.data) }
        }
        guard let frames else { return }
        try await outbound.write(contentsOf: frames)
    }

    /// One control frame (a pong, typically).
    func send(_ opcode: WebSocketOpcode, _ payload: ByteBuffer) async throws {
        let frame: WebSocketFrame? = state.withLock { state in
            state.closeSent ? nil : WebSocketFrame(fin: true, opcode: opcode, maskKey: state.keys.next(), data: payload)
        }
        if let frame { try await outbound.write(frame) }
    }

    /// Sends a ping; its pong must come back before the next one is due.
    func ping() async throws {
        let frame: WebSocketFrame? = state.withLock { state in
            guard !state.closeSent else { return nil }
            state.pingSerial &+= 1
            state.pingOutstanding = state.pingSerial
            var payload = ByteBuffer()
            payload.writeInteger(state.pingSerial)
            return WebSocketFrame(fin: true, opcode: .ping, maskKey: state.keys.next(), data: payload)
        }
        if let frame { try await outbound.write(frame) }
    }

    /// A pong arrived; it answers the outstanding ping when it carries its payload (an
    /// unsolicited pong is allowed and means nothing).
    func pongArrived(_ payload: ByteBuffer) {
        var payload = payload
        guard let serial = payload.readInteger(as: UInt64.self) else { return }
        state.withLock { state in
            if state.pingOutstanding == serial { state.pingOutstanding = nil }
        }
    }

    var pingOutstanding: Bool { state.withLock { $0.pingOutstanding != nil } }

    /// Sends the close frame, once; nothing is sent after it.
    func close(_ code: WebSocketErrorCode, reason: String?) async throws {
        let frame: WebSocketFrame? = state.withLock { state in
            guard !state.closeSent else { return nil }
            state.closeSent = true
            var payload = ByteBuffer()
            payload.write(webSocketErrorCode: code)
            if let reason { payload.writeString(String(reason.utf8.prefix(120)) ?? "") }
            return WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: state.keys.next(), data: payload)
        }
        if let frame { try await outbound.write(frame) }
    }
}

/// Masking keys for client frames (RFC 6455 §5.3: unpredictable, from a strong source). They
/// are read from the kernel 1024 at a time: one `read(2)` instead of a `getrandom(2)` per frame.
struct MaskKeys {
    private var bytes = [UInt8](repeating: 0, count: 4096)
    private var offset = 4096

    mutating func next() -> WebSocketMaskingKey {
        if offset == bytes.count { refill() }
        defer { offset += 4 }
        return WebSocketMaskingKey(bytes[offset..<offset + 4])!
    }

    private mutating func refill() {
        offset = 0
        let filled = bytes.withUnsafeMutableBytes { buffer -> Bool in
            guard Self.urandom >= 0 else { return false }
            var done = 0
            while done < buffer.count {
                let count = read(Self.urandom, buffer.baseAddress! + done, buffer.count - done)
                if count > 0 { done += count } else if count < 0 && errno == EINTR { continue } else { return false }
            }
            return true
        }
        if !filled {
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = generator.next() }
        }
    }

    private static let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
}
