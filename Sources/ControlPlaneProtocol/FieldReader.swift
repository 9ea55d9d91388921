import DriverModel

/// Reads one JSON object's members by the rows of `PayloadField`, strictly: a member of the wrong
/// type throws `.invalidArgument` naming where it is and what was expected
/// (`payload.cpu: expected a string like "1000m", got an object`). Absent and null are the same.
public struct FieldReader: Sendable {
    public let members: [String: JSONValue]
    /// Where this object is, as error texts name it: `payload.templateManifest.spec`.
    public let location: String

    /// The object at the root of a context (a message, a command, a command's payload).
    public init(_ value: JSONValue, _ context: PayloadField.Context) throws(DriverError) {
        try self.init(value, at: context.root, expected: "an object")
    }

    init(_ value: JSONValue, at location: String, expected: String) throws(DriverError) {
        guard case .object(let members) = value else {
            throw DriverError(.invalidArgument, "\(location): expected \(expected), got \(Self.describe(value))")
        }
        self.members = members
        self.location = location
    }

    /// The member's value when it is present and not null, after its type was checked.
    public func value(_ field: PayloadField) throws(DriverError) -> JSONValue? {
        let value = members[field.key]
        guard let value, value != .null else {
            if field.required {
                throw DriverError(.invalidArgument, "\(path(of: field)): expected \(field.expected), but it is \(value == nil ? "missing" : "null")")
            }
            return nil
        }
        guard Self.matches(value, field.kind) else {
            throw DriverError(.invalidArgument, "\(path(of: field)): expected \(field.expected), got \(Self.describe(value))")
        }
        return value
    }

    public func string(_ field: PayloadField) throws(DriverError) -> String? {
        precondition(field.kind == .string, "\(field) is not a string field")
        return try value(field)?.stringValue
    }

    /// A string that must be there and not empty.
    public func nonEmptyString(_ field: PayloadField) throws(DriverError) -> String {
        guard let text = try string(field), !text.isEmpty else {
            throw DriverError(.invalidArgument, "\(path(of: field)): expected \(field.expected), but it is empty")
        }
        return text
    }

    public func bool(_ field: PayloadField) throws(DriverError) -> Bool? {
        precondition(field.kind == .boolean, "\(field) is not a boolean field")
        return try value(field)?.boolValue
    }

    /// An integer; a number with a fraction is refused (`3000.0` is the integer 3000).
    public func integer(_ field: PayloadField) throws(DriverError) -> Int64? {
        precondition(field.kind == .integer, "\(field) is not an integer field")
        guard let value = try value(field) else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number): return Int64(exactly: number)!  // `matches` let only whole numbers in range through
        default: return nil
        }
    }

    public func object(_ field: PayloadField) throws(DriverError) -> FieldReader? {
        precondition(field.kind == .object, "\(field) is not an object field")
        guard let value = try value(field) else { return nil }
        return try FieldReader(value, at: path(of: field), expected: field.expected)
    }

    /// The elements of an array of objects, each checked against `element` (a `[]` row).
    public func objects(_ field: PayloadField, each element: PayloadField) throws(DriverError) -> [FieldReader] {
        precondition(field.kind == .array && element.isElement && element.kind == .object, "\(field) is not an array of objects")
        guard case .array(let values)? = try value(field) else { return [] }
        var readers: [FieldReader] = []
        readers.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            readers.append(try FieldReader(value, at: "\(path(of: field))[\(index)]", expected: element.expected))
        }
        return readers
    }

    /// An error about a member that has the right type but a wrong value.
    public func invalid(_ field: PayloadField, _ problem: String) -> DriverError {
        DriverError(.invalidArgument, "\(path(of: field)): \(problem)")
    }

    public func path(of field: PayloadField) -> String { "\(location).\(field.key)" }

    static func matches(_ value: JSONValue, _ kind: PayloadField.Kind) -> Bool {
        switch (kind, value) {
        case (.string, .string), (.boolean, .bool), (.integer, .int), (.object, .object), (.array, .array): true
        case (.integer, .double(let number)): Int64(exactly: number) != nil
        default: false
        }
    }

    /// "an object", "a string (\"yes\")", "a number (3000.5)": what was there instead.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): "a boolean (\(flag))"
        case .int(let number): "a number (\(number))"
        case .double(let number): "a number (\(number))"
        case .string(let text): text.count <= 40 ? "a string (\(text.debugDescription))" : "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
