import DriverModel
import FoundationEssentials

/// The stock server's VNC relay (protocol file, section 8): `vnc_data` and `vnc_close` from
/// the server, `vnc_ready`, `vnc_data` and `vnc_error` from the agent.
public enum VNCRelayMessage: Sendable, Equatable {
    /// Bytes for the session's viewer connection, as the server wrote them (`data`).
    case data(sessionId: String, data: String)
    /// The browser left.
    case close(sessionId: String, reason: String)

    public static let types: Set<String> = ["vnc_data", "vnc_close"]

    public var sessionId: String {
        switch self {
        case .data(let id, _), .close(let id, _): id
        }
    }

    public static func parse(_ message: Message) throws(DriverError) -> VNCRelayMessage {
        switch message.type {
        case "vnc_data":
            let fields = try FieldReader(message.payload, .vncData)
            return .data(sessionId: try CommandTranslation.sessionID(fields), data: try fields.string(.vncData)!)
        case "vnc_close":
            let fields = try FieldReader(message.payload, .vncClose)
            return .close(sessionId: try CommandTranslation.sessionID(fields), reason: try fields.string(.vncReason) ?? "")
        default:
            throw DriverError(.invalidArgument, "\(message.type.debugDescription) is not a VNC relay message")
        }
    }
}

/// How the agent reads `vnc_data.data` from the server. StreamSpace's own k8s-agent sends and
/// expects base64; the stock server sends the browser's bytes as a raw string.
public enum VNCDataEncoding: String, Sendable, CaseIterable {
    /// base64 when the text is valid base64, else the raw string.
    case auto
    case base64
    case raw

    public enum Decoded: Sendable, Equatable {
        case bytes([UInt8])
        /// Not base64: the string's UTF-8 bytes (what the stock server sent, U+FFFD included).
        case raw([UInt8])
        /// `base64` was asked and the text is not.
        case invalid
    }

    public func decode(_ text: String) -> Decoded {
        switch self {
        case .raw:
            return .raw(Array(text.utf8))
        case .base64:
            guard let data = Data(base64Encoded: text) else { return .invalid }
            return .bytes(Array(data))
        case .auto:
            // "RFB 003.008\n" has a space and a newline: never base64. A raw text that happens
            // to be valid base64 (4n letters and digits) cannot be told apart; say so in docs.
            if let data = Data(base64Encoded: text) { return .bytes(Array(data)) }
            return .raw(Array(text.utf8))
        }
    }
}

extension AgentMessage {
    /// The viewer connection is open (the server accepts it and does nothing with it).
    public static func vncReady(sessionId: String, vncPort: Int, podName: String) -> Message {
        Message(type: "vnc_ready", payload: .object([
            "sessionId": .string(sessionId), "vncPort": .int(Int64(vncPort)), "podName": .string(podName),
        ]))
    }

    /// Bytes the session sent, base64 (the k8s-agent's convention).
    public static func vncData(sessionId: String, bytes: some Collection<UInt8>) -> Message {
        Message(type: "vnc_data", payload: .object([
            "sessionId": .string(sessionId), "data": .string(Data(bytes).base64EncodedString()),
        ]))
    }

    /// The viewer connection failed or could not be opened; the server closes the browser's.
    public static func vncError(sessionId: String, error: String) -> Message {
        Message(type: "vnc_error", payload: .object([
            "sessionId": .string(sessionId), "error": .string(TextCut.cut(error, maxBytes: TextCut.maxReplyTextBytes)),
        ]))
    }
}
