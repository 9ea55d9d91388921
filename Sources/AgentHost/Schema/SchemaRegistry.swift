import DriverModel

/// A set of schema documents that `$ref` each other by `$id`, looked up by `$id` or by name.
///
/// A schema's name is its `$id`'s last path segment without ".schema.json":
/// `https://streamspace.io/schemas/driver/v1/session-status.schema.json` is "session-status".
public struct SchemaRegistry: Sendable {
    private var byID: [String: JSONSchema] = [:]
    private var idByName: [String: String] = [:]

    /// Registers `schemas`.
    /// - Throws: `JSONSchemaError` when a schema has no `$id`, two share one, or a `$ref` names a
    ///   document or subschema that is not there — so a broken reference fails at start-up, not
    ///   on the first value that reaches it.
    public init(_ schemas: [JSONSchema]) throws {
        for schema in schemas {
            guard let id = schema.id else {
                throw JSONSchemaError(schemaPath: "/$id", message: "a registered schema needs an $id")
            }
            guard byID[id] == nil else {
                throw JSONSchemaError(schemaPath: "/$id", message: "two schemas have the $id \(id)")
            }
            byID[id] = schema
            if let name = Self.name(ofID: id) { idByName[name] = id }
        }
        for schema in schemas {
            for reference in schema.references {
                let target: JSONSchema? = if let document = reference.document { byID[document] } else { schema }
                guard let target, target.subschemas[reference.pointer] != nil else {
                    throw JSONSchemaError(
                        schemaPath: reference.schemaPath,
                        message: "$ref \(reference.text) in \(schema.id ?? "?") does not resolve within the registry"
                    )
                }
            }
        }
    }

    /// The `$id`s of every registered schema, sorted.
    public var ids: [String] { byID.keys.sorted() }

    /// The names of every registered schema ("describe", "error", ...), sorted.
    public var names: [String] { idByName.keys.sorted() }

    /// The schema whose `$id` is `id` (an empty trailing "#" is ignored).
    public func schema(id: String) -> JSONSchema? {
        byID[URIReference.withoutFragment(id)]
    }

    /// The schema named `name`, e.g. "session-spec".
    public func schema(named name: String) -> JSONSchema? {
        idByName[name].flatMap { byID[$0] }
    }

    /// Validates `value` against the schema named `name` ("session-status"); an empty array means
    /// it is valid. An unknown name is reported as a single violation at the root, so that a typo
    /// can never pass as "valid".
    public func validate(_ value: JSONValue, against name: String) -> [JSONSchemaViolation] {
        guard let schema = schema(named: name) else {
            return [JSONSchemaViolation(path: "", message: "no schema named \"\(name)\" is registered (known: \(names.joined(separator: ", ")))")]
        }
        return schema.validate(value, registry: self)
    }

    private static func name(ofID id: String) -> String? {
        let suffix = ".schema.json"
        guard let last = id.split(separator: "/").last, last.hasSuffix(suffix), last.count > suffix.count else {
            return nil
        }
        return String(last.dropLast(suffix.count))
    }
}

extension SchemaRegistry {
    /// The driver ABI v1 objects of streamspace_driver.h section 3: session-spec, session-status,
    /// session-list, stop-request, describe, node-metrics, session-metrics, health, log-request
    /// and error — compiled from the copies of Docs/schemas embedded in DriverSchemas.swift.
    public static let driverV1: SchemaRegistry = {
        do {
            return try SchemaRegistry(DriverSchemas.all.map { try JSONSchema(parsing: $0.text) })
        } catch {
            // The embedded schemas are fixed at build time and SchemaTests compiles them.
            fatalError("the embedded driver schemas do not compile: \(error)")
        }
    }()
}
