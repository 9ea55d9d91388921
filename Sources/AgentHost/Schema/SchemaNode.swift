import DriverModel

/// The JSON types a "type" keyword names.
enum SchemaType: String, Sendable, CaseIterable {
    case null, boolean, integer, number, string, array, object

    /// Whether `value` is of this type. `.int` is also a number; an integral `.double` is also an
    /// integer.
    func matches(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.null, .null), (.boolean, .bool), (.string, .string), (.array, .array),
             (.object, .object), (.integer, .int), (.number, .int), (.number, .double):
            true
        case (.integer, .double(let number)):
            number.isFinite && number.rounded(.towardZero) == number
        default:
            false
        }
    }
}

/// The formats this validator asserts.
enum SchemaFormat: String, Sendable {
    case dateTime = "date-time"
    case uri
}

/// A `$ref`, resolved against the document's `$id` when the schema was compiled.
struct SchemaReference: Sendable, Equatable {
    /// The reference as written.
    var text: String
    /// The absolute URI of the target document, without fragment; nil for the containing
    /// document itself.
    var document: String?
    /// The escaped JSON pointer of the target subschema within it ("" for its root).
    var pointer: String
    /// Where the `$ref` is, in the containing document.
    var schemaPath: String
}

/// One compiled subschema: each keyword's operand, parsed once. Immutable, hence shareable.
final class SchemaNode: Sendable {
    /// Where this subschema is in its document (an escaped JSON pointer).
    let schemaPath: String
    /// For the boolean schemas `true` and `false`; nil for an object schema.
    let booleanSchema: Bool?
    let types: [SchemaType]?
    let properties: [String: SchemaNode]
    let required: [String]
    let additionalProperties: SchemaNode?
    let items: SchemaNode?
    let enumValues: [JSONValue]?
    /// `.some(.null)` for `"const": null`; nil when there is no const.
    let constValue: JSONValue?
    let minimum: JSONValue?
    let maximum: JSONValue?
    let minLength: Int?
    let maxLength: Int?
    let minItems: Int?
    /// The source of the regular expression; it is known to compile. (Swift's `Regex` is not
    /// Sendable, so each validation compiles the patterns it meets, once.)
    let pattern: String?
    let format: SchemaFormat?
    let reference: SchemaReference?

    init(
        schemaPath: String,
        booleanSchema: Bool? = nil,
        types: [SchemaType]? = nil,
        properties: [String: SchemaNode] = [:],
        required: [String] = [],
        additionalProperties: SchemaNode? = nil,
        items: SchemaNode? = nil,
        enumValues: [JSONValue]? = nil,
        constValue: JSONValue? = nil,
        minimum: JSONValue? = nil,
        maximum: JSONValue? = nil,
        minLength: Int? = nil,
        maxLength: Int? = nil,
        minItems: Int? = nil,
        pattern: String? = nil,
        format: SchemaFormat? = nil,
        reference: SchemaReference? = nil
    ) {
        self.schemaPath = schemaPath
        self.booleanSchema = booleanSchema
        self.types = types
        self.properties = properties
        self.required = required
        self.additionalProperties = additionalProperties
        self.items = items
        self.enumValues = enumValues
        self.constValue = constValue
        self.minimum = minimum
        self.maximum = maximum
        self.minLength = minLength
        self.maxLength = maxLength
        self.minItems = minItems
        self.pattern = pattern
        self.format = format
        self.reference = reference
    }
}
