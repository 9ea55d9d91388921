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

    /// The largest message the agent reads. A larger one is refused on its own (a command gets
    /// `failed`, naming the limit); the link stays up and the frame's other messages are read.
    public static let maxInboundMessageBytes = 1 << 20

    /// The largest incoming frame (a batch of messages): beyond it the link closes with 1009
    /// and connects again. Bounds what one frame can make the agent hold.
    public static let maxInboundFrameBytes = 8 << 20

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
    /// a string (RFC 3339) or absent `timestamp`, and an object or absent `payload` (the rows
    /// of `PayloadField.Context.message`).
    public static func decode(_ text: some StringProtocol) -> Result<Message, DecodeError> {
        decode(bytes: Array(text.utf8))
    }

    public static func decode(bytes: some Collection<UInt8>) -> Result<Message, DecodeError> {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(Array(bytes))
        } catch {
            return .failure(.syntax(error.description))
        }
        do throws(DriverError) {
            let fields = try FieldReader(value, .message)
            let type = try fields.string(.messageType)!
            let timestamp = try fields.string(.messageTimestamp)
            if let timestamp, RFC3339.parse(timestamp) == nil {
                throw fields.invalid(.messageTimestamp, "expected \(PayloadField.messageTimestamp.expected), got \(timestamp.debugDescription)")
            }
            let payload = try fields.value(.messagePayload) ?? .object([:])
            return .success(Message(type: type, timestamp: timestamp, payload: payload))
        } catch {
            return .failure(.shape(error.message))
        }
    }

    /// What can still be read of a message that did not decode: its type and, for a command,
    /// its id — so that the command gets its answer (`failed`, with the reason) and the log can
    /// name it. Nil when the text is not even a JSON object.
    public static func salvage(_ bytes: some Collection<UInt8>) -> (type: String?, commandId: String?)? {
        guard case .object(let members)? = try? StrictJSON.parse(Array(bytes)) else { return nil }
        let type = members["type"]?.stringValue
        guard type == "command", case .string(let id)? = members["payload"]?["commandId"], !id.isEmpty else {
            return (type, nil)
        }
        return (type, id)
    }

    /// The messages of one incoming frame: the server batches several in one frame, separated
    /// by newlines ("\r\n" too). Lines of JSON whitespace only are skipped.
    public static func lines(of frame: some Collection<UInt8>) -> [ArraySlice<UInt8>] {
        // On bytes, not Characters (where "\r\n" is one): this is on every inbound message's path.
        Array(frame).split(separator: UInt8(ascii: "\n"))
            .filter { line in line.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") } }
    }

    /// Splits and decodes one incoming frame.
    public static func decodeFrame(_ text: String) -> [Result<Message, DecodeError>] {
        lines(of: text.utf8).map { decode(bytes: $0) }
    }
}
