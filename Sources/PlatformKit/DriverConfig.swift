import DriverModel

/// Reads a driver's JSON config strictly: every key must be known, every value of the right
/// type, and each mistake is one INVALID_ARGUMENT sentence naming the driver and the key. An
/// operator's typo ("publishAdress") must fail at load, not be silently ignored.
public struct DriverConfig: Sendable {
    public let driver: String
    private let members: [String: JSONValue]

    public init(_ value: JSONValue, driver: String, keys: Set<String>) throws(DriverError) {
        self.driver = driver
        switch value {
        case .null: members = [:]
        case .object(let object): members = object
        default: throw DriverError(.invalidArgument, "\(driver): the driver config must be a JSON object, not \(value.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw DriverError(.invalidArgument,
                              "\(driver): unknown config key \"\(unknown)\" (known: \(keys.sorted().joined(separator: ", ")))")
        }
    }

    public func contains(_ key: String) -> Bool { members[key] != nil }

    public func string(_ key: String) throws(DriverError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
        return text
    }

    public func string(_ key: String, default fallback: String) throws(DriverError) -> String {
        try string(key) ?? fallback
    }

    public func bool(_ key: String, default fallback: Bool) throws(DriverError) -> Bool {
        guard let value = members[key], value != .null else { return fallback }
        guard let flag = value.boolValue else { throw wrongType(key, "true or false", value) }
        return flag
    }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(DriverError) -> Int {
        guard let value = members[key], value != .null else { return fallback }
        guard let number = value.intValue, let int = Int(exactly: number), range.contains(int) else {
            throw DriverError(.invalidArgument,
                              "\(driver): \"\(key)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    public func stringMap(_ key: String) throws(DriverError) -> [String: String] {
        guard let value = members[key], value != .null else { return [:] }
        guard let object = value.objectValue else { throw wrongType(key, "an object of strings", value) }
        var result: [String: String] = [:]
        for (name, member) in object {
            guard let text = member.stringValue else {
                throw DriverError(.invalidArgument, "\(driver): \"\(key)\".\"\(name)\" must be a string")
            }
            result[name] = text
        }
        return result
    }

    /// A list of strings; absent or null: empty.
    public func strings(_ key: String) throws(DriverError) -> [String] {
        guard let value = members[key], value != .null else { return [] }
        guard let array = value.arrayValue else { throw wrongType(key, "a list of strings", value) }
        var result: [String] = []
        for (index, member) in array.enumerated() {
            guard let text = member.stringValue else {
                throw DriverError(.invalidArgument, "\(driver): \"\(key)\"[\(index)] must be a string, not \(member.typeName)")
            }
            result.append(text)
        }
        return result
    }

    public func raw(_ key: String) -> JSONValue? { members[key] }

    public func invalid(_ key: String, _ why: String) -> DriverError {
        DriverError(.invalidArgument, "\(driver): \"\(key)\" \(why)")
    }

    private func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> DriverError {
        DriverError(.invalidArgument, "\(driver): \"\(key)\" must be \(expected), not \(value.typeName)")
    }
}
