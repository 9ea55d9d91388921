import DriverModel

/// One run of a validation: walks a value and its compiled schema together and collects every
/// violation (it does not stop at the first), in a stable order: object members by name.
struct SchemaValidation {
    /// How many `$ref`s may be followed without descending into the value: a guard against
    /// reference cycles such as {"$ref": "#"}.
    static let maxReferenceDepth = 32

    let registry: SchemaRegistry?
    private(set) var violations: [JSONSchemaViolation] = []
    private var regexes: [String: Regex<AnyRegexOutput>] = [:]
    private var referenceDepth = 0

    init(registry: SchemaRegistry?) {
        self.registry = registry
    }

    mutating func validate(_ value: JSONValue, against node: SchemaNode, in document: JSONSchema, at path: String) {
        if let allowed = node.booleanSchema {
            if !allowed { report(path, "no value is allowed here") }
            return
        }
        if let reference = node.reference {
            follow(reference, value, in: document, at: path)
        }
        if let types = node.types, !types.contains(where: { $0.matches(value) }) {
            let expected = types.map(\.rawValue).joined(separator: " or ")
            report(path, "expected \(expected), found \(value.typeName) \(Self.brief(value))")
        }
        if let values = node.enumValues, !values.contains(where: { Self.equal($0, value) }) {
            let allowed = values.map { $0.jsonString() }.joined(separator: ", ")
            report(path, "\(Self.brief(value)) is not one of \(allowed)")
        }
        if let constant = node.constValue, !Self.equal(constant, value) {
            report(path, "\(Self.brief(value)) is not \(constant.jsonString())")
        }

        switch value {
        case .object(let members):
            validateObject(members, against: node, in: document, at: path)
        case .array(let elements):
            if let minItems = node.minItems, elements.count < minItems {
                report(path, "has \(elements.count) item(s), fewer than the minimum \(minItems)")
            }
            if let items = node.items {
                for (index, element) in elements.enumerated() {
                    validate(element, against: items, in: document, at: JSONPointer.appending(path, index))
                }
            }
        case .string(let text):
            validateString(text, against: node, at: path)
        case .int, .double:
            if let minimum = node.minimum, Self.compare(value, minimum) < 0 {
                report(path, "\(value.jsonString()) is less than the minimum \(minimum.jsonString())")
            }
            if let maximum = node.maximum, Self.compare(value, maximum) > 0 {
                report(path, "\(value.jsonString()) is greater than the maximum \(maximum.jsonString())")
            }
        case .null, .bool:
            break
        }
    }

    private mutating func validateObject(
        _ members: [String: JSONValue], against node: SchemaNode, in document: JSONSchema, at path: String
    ) {
        for name in node.required where members[name] == nil {
            report(path, "missing required property \"\(name)\"")
        }
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPath = JSONPointer.appending(path, name)
            if let property = node.properties[name] {
                validate(member, against: property, in: document, at: memberPath)
            } else if let additional = node.additionalProperties {
                if additional.booleanSchema == false {
                    report(memberPath, "property \"\(name)\" is not allowed here")
                } else {
                    validate(member, against: additional, in: document, at: memberPath)
                }
            }
        }
    }

    private mutating func validateString(_ text: String, against node: SchemaNode, at path: String) {
        if node.minLength != nil || node.maxLength != nil {
            let length = text.unicodeScalars.count
            if let minLength = node.minLength, length < minLength {
                report(path, "\(Self.brief(.string(text))) is shorter than \(minLength) character(s)")
            }
            if let maxLength = node.maxLength, length > maxLength {
                report(path, "\(Self.brief(.string(text))) is longer than \(maxLength) character(s)")
            }
        }
        if let pattern = node.pattern, let regex = regex(pattern), (try? regex.firstMatch(in: text)) == nil {
            report(path, "\(Self.brief(.string(text))) does not match the pattern \(pattern)")
        }
        switch node.format {
        case .dateTime? where !SchemaFormats.isDateTime(text):
            report(path, "\(Self.brief(.string(text))) is not an RFC 3339 date-time such as \"2025-01-01T00:00:00Z\"")
        case .uri? where !SchemaFormats.isURI(text):
            report(path, "\(Self.brief(.string(text))) is not an absolute URI such as \"http://127.0.0.1:3000\"")
        default:
            break
        }
    }

    private mutating func follow(_ reference: SchemaReference, _ value: JSONValue, in document: JSONSchema, at path: String) {
        let target: JSONSchema
        if let id = reference.document {
            guard let registered = registry?.schema(id: id) else {
                report(path, "cannot resolve $ref \(reference.text): no registered schema has $id \(id)")
                return
            }
            target = registered
        } else {
            target = document
        }
        guard let node = target.subschemas[reference.pointer] else {
            report(path, "cannot resolve $ref \(reference.text): no subschema at #\(reference.pointer)")
            return
        }
        guard referenceDepth < Self.maxReferenceDepth else {
            report(path, "$ref \(reference.text) nests deeper than \(Self.maxReferenceDepth) references")
            return
        }
        referenceDepth += 1
        defer { referenceDepth -= 1 }
        validate(value, against: node, in: target, at: path)
    }

    private mutating func report(_ path: String, _ message: String) {
        violations.append(JSONSchemaViolation(path: path, message: message))
    }

    /// The compiled pattern; patterns were checked when the schema was compiled.
    private mutating func regex(_ pattern: String) -> Regex<AnyRegexOutput>? {
        if let regex = regexes[pattern] { return regex }
        guard let regex = try? Regex(pattern).matchingSemantics(.unicodeScalar) else { return nil }
        regexes[pattern] = regex
        return regex
    }

    // MARK: - JSON values

    /// JSON Schema equality: numbers by value (1 == 1.0), objects regardless of key order.
    static func equal(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double):
            compare(lhs, rhs) == 0
        case (.array(let left), .array(let right)):
            left.count == right.count && zip(left, right).allSatisfy { equal($0, $1) }
        case (.object(let left), .object(let right)):
            left.count == right.count && left.allSatisfy { key, value in right[key].map { equal(value, $0) } ?? false }
        default:
            lhs == rhs
        }
    }

    /// Compares two numbers: exactly when both are integers, as doubles otherwise.
    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int {
        if case .int(let left) = lhs, case .int(let right) = rhs {
            return left < right ? -1 : (left > right ? 1 : 0)
        }
        let left = lhs.numberValue ?? .nan, right = rhs.numberValue ?? .nan
        return left < right ? -1 : (left > right ? 1 : 0)
    }

    /// The value as JSON, shortened for messages.
    static func brief(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .array(let elements): text = "[\(elements.count) item(s)]"
        case .object: text = "{…}"
        default: text = value.jsonString()
        }
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }
}
