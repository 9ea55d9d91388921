import DriverModel
import FoundationEssentials
import Hummingbird
import NIOCore

/// JSON in and out of the admin API: compact, sorted keys; errors as `{"error": "..."}`.
enum AdminJSON {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(DevControlPlaneError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw .invalidRequest("the request body is not valid JSON for this call: \(error)")
        }
    }

    static func response(_ value: some Encodable, status: Int = 200) -> Response {
        Response.json(status, encode(value))
    }

    static func error(_ error: DevControlPlaneError) -> Response {
        Response.json(error.httpStatus, JSONValue.object(["error": .string(error.description)]).jsonString())
    }

    static func error(_ status: Int, _ message: String) -> Response {
        Response.json(status, JSONValue.object(["error": .string(message)]).jsonString())
    }
}

/// Answers of the admin API that are not plain records.
public struct SessionCreated: Sendable, Codable, Equatable {
    public var sessionId: String
    public var commandId: String

    public init(sessionId: String, commandId: String) {
        self.sessionId = sessionId
        self.commandId = commandId
    }
}

public struct CommandsSent: Sendable, Codable, Equatable {
    public var commandIds: [String]

    public init(commandIds: [String]) { self.commandIds = commandIds }
}

/// A finished (or timed-out) non-follow log request: the stream and its text.
public struct LogsResult: Sendable, Codable, Equatable {
    public var stream: LogStreamRecord
    /// The chunks joined, base64 chunks decoded.
    public var text: String

    public init(stream: LogStreamRecord, text: String) {
        self.stream = stream
        self.text = text
    }
}

extension LogStreamRecord {
    /// The chunks as text (base64 chunks decoded; invalid UTF-8 replaced).
    public var text: String {
        chunks.map(\.decodedText).joined()
    }
}

extension LogChunk {
    public var decodedText: String {
        guard encoding == "base64" else { return data }
        guard let bytes = Data(base64Encoded: data) else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
