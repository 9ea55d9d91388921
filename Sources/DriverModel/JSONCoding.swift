import FoundationEssentials

/// The one way domain objects become bytes and back, on both sides of the ABI.
public enum JSONCoding {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Our model types contain only strings, numbers, bools, arrays and objects.
        return (try? Array(encoder.encode(value))) ?? Array("null".utf8)
    }

    /// Decodes, turning any decoding problem into a DriverError that names what was wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>,
                                            what: String) throws(DriverError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw DriverError(.invalidArgument, "\(what): \(describe(error))")
        } catch {
            throw DriverError(.invalidArgument, "\(what): \(error)")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "the document" : "/" + keys.joined(separator: "/")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \"\(key.stringValue)\"" + (parent == "the document" ? "" : " in \(parent)")
        case .typeMismatch(let type, let context):
            return "\(path(context)) must be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)) must be \(typeName(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) is invalid"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type: "a number"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}
