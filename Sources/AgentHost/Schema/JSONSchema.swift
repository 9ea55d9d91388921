// A small JSON Schema (draft 2020-12) validator for the driver ABI's JSON objects.
//
// It validates `DriverModel.JSONValue`s against the schemas in Docs/schemas (embedded in
// DriverSchemas.swift) and supports exactly the keywords those schemas use:
//
//   type                  a type name or an array of them: null, boolean, integer, number, string,
//                         array, object. An `.int` is a "number"; a `.double` with an integral
//                         value (2.0) is an "integer" — as the specification says.
//   properties, required, additionalProperties (true, false or a schema)
//   items                 one schema for every element (the 2020-12 meaning)
//   enum, const           JSON equality: 1 equals 1.0, true does not equal 1, key order is moot
//   minimum, maximum      inclusive
//   minLength, maxLength  counted in Unicode scalars (code points), as the specification says
//   pattern               ECMA-262-style, unanchored search, run by Swift `Regex` with Unicode
//                         scalar semantics: `$` matches only at the very end of the string
//   minItems
//   $ref                  "#/$defs/name" (any JSON pointer into the same document) and references
//                         to another schema's `$id`, absolute or relative to this schema's `$id`,
//                         with an optional "#/pointer" — resolved through a `SchemaRegistry`
//   $defs, $id (at the root only), $schema (must be draft 2020-12 when present)
//   format                asserted, not just annotated: "date-time" (RFC 3339, seconds 00-59 as Go
//                         parses them) and "uri" (an absolute URI per RFC 3986)
//
// Annotations and keywords it does not know ("title", "description", "default", "examples",
// "$comment"...) are ignored. Standard keywords that would change the verdict but that it does not
// implement ("anyOf", "exclusiveMinimum", "uniqueItems"...), and formats other than the two above,
// make `JSONSchema.init` throw instead of being silently ignored: a schema that needs them must
// come with their implementation, or the Swift and reference validators would disagree.
// Tests/schema_crosscheck.py and SchemaTests run the same fixture files through Python's
// `jsonschema` and through this validator.

import DriverModel

/// One way in which a JSON value breaks a schema.
public struct JSONSchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where in the validated value, as a JSON pointer: "/template/ports/0/port"; "" is the value
    /// itself. A missing required property is reported at the object that lacks it.
    public var path: String
    /// What is wrong, for a person: `70000 is greater than the maximum 65535`.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        "\(path.isEmpty ? "(root)" : path): \(message)"
    }
}

/// A schema that cannot be used: malformed, or using a keyword this validator does not implement.
public struct JSONSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the schema, as a JSON pointer ("/properties/id/pattern").
    public var schemaPath: String
    public var message: String

    public init(schemaPath: String, message: String) {
        self.schemaPath = schemaPath
        self.message = message
    }

    public var description: String {
        "invalid schema at \(schemaPath.isEmpty ? "(root)" : schemaPath): \(message)"
    }
}

/// A compiled JSON Schema document. Compiling checks the whole document once (keywords, regular
/// expressions, references' syntax); validating never fails, it lists violations.
public struct JSONSchema: Sendable {
    /// The document's `$id` (without an empty trailing "#"), nil when it has none.
    public let id: String?
    /// The root subschema.
    let root: SchemaNode
    /// Every subschema of the document by its escaped JSON pointer ("" for the root,
    /// "/$defs/port", "/properties/template/properties/ports/items"): what `$ref`s land on.
    let subschemas: [String: SchemaNode]
    /// Every `$ref` in the document, so that a registry can check they all resolve.
    let references: [SchemaReference]

    /// Compiles a schema document.
    /// - Throws: `JSONSchemaError` when the schema is malformed or uses an unsupported keyword.
    public init(_ schema: JSONValue) throws {
        var compiler = SchemaCompiler(document: schema)
        let root = try compiler.compileRoot()
        self.id = compiler.baseURI
        self.root = root
        self.subschemas = compiler.subschemas
        self.references = compiler.references
    }

    /// Parses and compiles a schema document's text.
    public init(parsing text: String) throws {
        try self.init(try JSONValue(parsing: text))
    }

    /// Validates `value`; an empty array means it is valid. `registry` resolves `$ref`s to other
    /// documents; a reference it cannot resolve is reported as a violation.
    public func validate(_ value: JSONValue, registry: SchemaRegistry? = nil) -> [JSONSchemaViolation] {
        var validation = SchemaValidation(registry: registry)
        validation.validate(value, against: root, in: self, at: "")
        return validation.violations
    }
}
