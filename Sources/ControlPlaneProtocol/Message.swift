import DriverModel

/// One message on the agent link: `{"type", "timestamp", "payload"}`.
public struct Message: Sendable, Equatable {
    public var type: String
    /// RFC 3339, or nil (the field may be absent).
    public var timestamp: String?
    public var payload: JSONValue

    public init(type: String, timestamp: String? = RFC3339.now(), payload: JSONValue) {
        self.type = type
        self.timestamp = timestamp
        self.payload = payload
    }

    /// The largest frame the real server accepts; a larger one closes the socket.
    public static let maxFrameBytes = 512 * 1024

    /// One JSON value, ready to send as one text frame.
    public func encoded() -> String {
        String(decoding: encodedBytes(), as: UTF8.self)
    }

    /// The same JSON as UTF-8 bytes (what the link writes).
    public func encodedBytes() -> [UInt8] {
        // The envelope written directly, keys in JSONValue's (sorted) order, without building
        // and sorting a dictionary for every message.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes.append(contentsOf: #"{"payload":"#.utf8)
        payload.write(to: &bytes)
        if let timestamp {
            bytes.append(contentsOf: #","timestamp":"#.utf8)
            JSONValue.string(timestamp).write(to: &bytes)
        }
        bytes.append(contentsOf: #","type":"#.utf8)
        JSONValue.string(type).write(to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case syntax(String)
        case shape(String)

        public var description: String {
            switch self {
            case .syntax(let message), .shape(let message): message
            }
        }
    }

    /// Decodes one message the way the real server does: a JSON object with a string `type`,
    /// a string (RFC 3339) or absent `timestamp`, and an object or absent `payload`.
    public static func decode(_ text: some StringProtocol) -> Result<Message, DecodeError> {
        decode(bytes: Array(text.utf8))
    }

    public static func decode(bytes: [UInt8]) -> Result<Message, DecodeError> {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(bytes)
        } catch {
            return .failure(.syntax(error.description))
        }
        guard case .object(let members) = value else { return .failure(.shape("a message must be a JSON object")) }
        guard case .string(let type)? = members["type"] else { return .failure(.shape("\"type\" must be a string")) }
        var timestamp: String?
        switch members["timestamp"] {
        case nil, .null?: timestamp = nil
        case .string(let text)?:
            guard RFC3339.parse(text) != nil else { return .failure(.shape("\"timestamp\" \(text.debugDescription) is not RFC 3339")) }
            timestamp = text
        default: return .failure(.shape("\"timestamp\" must be an RFC 3339 string, not \(members["timestamp"]!.typeName)"))
        }
        let payload = members["payload"] ?? .object([:])
        guard payload == .null || payload.objectValue != nil else { return .failure(.shape("\"payload\" must be an object")) }
        return .success(Message(type: type, timestamp: timestamp, payload: payload == .null ? .object([:]) : payload))
    }

    /// Splits an incoming frame: the server batches several messages in one frame, separated
    /// by newlines ("\r\n" too). Lines of JSON whitespace only are skipped.
    public static func decodeFrame(_ text: String) -> [Result<Message, DecodeError>] {
        // On bytes, not Characters (where "\r\n" is one): this is on every inbound message's path.
        text.utf8.split(separator: UInt8(ascii: "\n"))
            .filter { line in line.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") } }
            .map { decode(bytes: Array($0)) }
    }
}
