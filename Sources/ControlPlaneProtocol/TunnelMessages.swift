import DriverModel
import NIOCore

/// The session tunnel's control messages (Docs/control-plane-extension.md, "Session traffic").
/// Both ends read and write them: the agent and the dev control plane. The stream's data goes
/// in binary frames (`TunnelData`), never in these.
public enum TunnelMessage: Sendable, Equatable {
    /// CP → agent: dial `port` of session `sessionId`; the CP accepts `window` bytes.
    case open(streamId: UInt32, sessionId: String, port: Int, window: Int)
    /// agent → CP: connected; the agent accepts `window` bytes.
    case opened(streamId: UInt32, window: Int)
    /// Both: `bytes` more may be sent.
    case window(streamId: UInt32, bytes: Int)
    /// Both: the sender sends nothing more (half-close).
    case end(streamId: UInt32)
    /// Both: the stream is over in both directions.
    case reset(streamId: UInt32, error: String)

    /// The largest window or grant: 16 MiB (a bound on what one stream may hold in flight).
    public static let maxWindow = 16 << 20

    public static let types: Set<String> = ["tunnel_open", "tunnel_opened", "tunnel_window", "tunnel_end", "tunnel_reset"]

    public var streamId: UInt32 {
        switch self {
        case .open(let id, _, _, _), .opened(let id, _), .window(let id, _), .end(let id), .reset(let id, _): id
        }
    }

    public var message: Message {
        switch self {
        case .open(let id, let session, let port, let window):
            Message(type: "tunnel_open", payload: .object([
                "streamId": .int(Int64(id)), "sessionId": .string(session), "port": .int(Int64(port)), "window": .int(Int64(window)),
            ]))
        case .opened(let id, let window):
            Message(type: "tunnel_opened", payload: .object(["streamId": .int(Int64(id)), "window": .int(Int64(window))]))
        case .window(let id, let bytes):
            Message(type: "tunnel_window", payload: .object(["streamId": .int(Int64(id)), "bytes": .int(Int64(bytes))]))
        case .end(let id):
            Message(type: "tunnel_end", payload: .object(["streamId": .int(Int64(id))]))
        case .reset(let id, let error):
            Message(type: "tunnel_reset", payload: .object([
                "streamId": .int(Int64(id)), "error": .string(TextCut.cut(error, maxBytes: TextCut.maxReplyTextBytes)),
            ]))
        }
    }

    /// Reads a tunnel message by the field table; a wrong field is an error naming it.
    public static func parse(_ message: Message) throws(DriverError) -> TunnelMessage {
        switch message.type {
        case "tunnel_open":
            let fields = try FieldReader(message.payload, .tunnelOpen)
            let id = try streamID(fields)
            let session = try CommandTranslation.sessionID(fields)
            let port = try fields.integer(.tunnelPort)!
            guard (1...65535).contains(port) else { throw fields.invalid(.tunnelPort, "expected \(PayloadField.tunnelPort.expected), got \(port)") }
            return .open(streamId: id, sessionId: session, port: Int(port), window: try amount(fields, .tunnelWindow))
        case "tunnel_opened":
            let fields = try FieldReader(message.payload, .tunnelOpened)
            return .opened(streamId: try streamID(fields), window: try amount(fields, .tunnelWindow))
        case "tunnel_window":
            let fields = try FieldReader(message.payload, .tunnelWindow)
            return .window(streamId: try streamID(fields), bytes: try amount(fields, .tunnelBytes))
        case "tunnel_end":
            return .end(streamId: try streamID(try FieldReader(message.payload, .tunnelEnd)))
        case "tunnel_reset":
            let fields = try FieldReader(message.payload, .tunnelReset)
            return .reset(streamId: try streamID(fields), error: try fields.string(.tunnelError) ?? "")
        default:
            throw DriverError(.invalidArgument, "\(message.type.debugDescription) is not a tunnel message")
        }
    }

    /// The stream id of a message that could not be read otherwise, so that its stream can
    /// still be reset.
    public static func salvageStreamID(_ payload: JSONValue) -> UInt32? {
        guard case .int(let value)? = payload["streamId"], let id = UInt32(exactly: value), id > 0 else { return nil }
        return id
    }

    private static func streamID(_ fields: FieldReader) throws(DriverError) -> UInt32 {
        let value = try fields.integer(.streamId)!
        guard let id = UInt32(exactly: value), id > 0 else {
            throw fields.invalid(.streamId, "expected \(PayloadField.streamId.expected), got \(value)")
        }
        return id
    }

    private static func amount(_ fields: FieldReader, _ field: PayloadField) throws(DriverError) -> Int {
        let value = try fields.integer(field)!
        guard (1...Int64(maxWindow)).contains(value) else { throw fields.invalid(field, "expected \(field.expected), got \(value)") }
        return Int(value)
    }
}

/// A tunnel data frame (a binary WebSocket frame): kind byte 1, the stream id big-endian, then
/// 1 to 65536 bytes of the stream.
public enum TunnelData {
    public static let kind: UInt8 = 1
    public static let headerBytes = 5
    public static let maxPayload = 64 * 1024

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case unknownKind(UInt8)
        case zeroStream
        case tooLong(Int)

        public var description: String {
            switch self {
            case .tooShort(let count): "a binary frame of \(count) bytes is too short for a tunnel data frame (6 at least)"
            case .unknownKind(let kind): "a binary frame of kind \(kind) (only 1, tunnel data, exists)"
            case .zeroStream: "a tunnel data frame for stream 0"
            case .tooLong(let count): "a tunnel data frame of \(count) bytes of data (at most \(TunnelData.maxPayload))"
            }
        }
    }

    /// The frame's bytes: header, then `payload` (at most `maxPayload` bytes, at least one).
    public static func frame(streamId: UInt32, payload: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        precondition(payload.readableBytes > 0 && payload.readableBytes <= maxPayload, "tunnel data of \(payload.readableBytes) bytes")
        var buffer = allocator.buffer(capacity: headerBytes + payload.readableBytes)
        buffer.writeInteger(kind)
        buffer.writeInteger(streamId, endianness: .big)
        var payload = payload
        buffer.writeBuffer(&payload)
        return buffer
    }

    /// The stream and its bytes (a slice of `frame`, no copy).
    public static func parse(_ frame: ByteBuffer) -> Result<(streamId: UInt32, payload: ByteBuffer), Refusal> {
        var frame = frame
        guard frame.readableBytes > headerBytes else { return .failure(.tooShort(frame.readableBytes)) }
        let kind: UInt8 = frame.readInteger()!
        guard kind == Self.kind else { return .failure(.unknownKind(kind)) }
        let id: UInt32 = frame.readInteger(endianness: .big)!
        guard id > 0 else { return .failure(.zeroStream) }
        guard frame.readableBytes <= maxPayload else { return .failure(.tooLong(frame.readableBytes)) }
        return .success((id, frame))
    }
}
