import DriverModel

/// Turns a schema document into `SchemaNode`s, checking every keyword it supports and refusing
/// the standard ones it does not (see the list at the top of JSONSchema.swift).
struct SchemaCompiler {
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// Standard keywords that assert or apply subschemas, which this validator does not
    /// implement. Ignoring them would accept values the reference validator rejects.
    static let unsupportedKeywords: Set<String> = [
        "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas",
        "prefixItems", "contains", "patternProperties", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties",
        "multipleOf", "exclusiveMaximum", "exclusiveMinimum", "maxItems", "uniqueItems",
        "maxContains", "minContains", "maxProperties", "minProperties", "dependentRequired",
        "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor",
        "dependencies",
    ]

    let document: JSONValue
    /// The root's `$id`, against which relative `$ref`s resolve.
    private(set) var baseURI: String?
    private(set) var subschemas: [String: SchemaNode] = [:]
    private(set) var references: [SchemaReference] = []

    init(document: JSONValue) {
        self.document = document
    }

    mutating func compileRoot() throws -> SchemaNode {
        if case .object(let members) = document {
            if let dialect = members["$schema"] {
                guard let text = dialect.stringValue,
                      text == Self.dialect || text == Self.dialect + "#"
                else {
                    throw JSONSchemaError(schemaPath: "/$schema",
                                          message: "only draft 2020-12 (\(Self.dialect)) is supported")
                }
            }
            if let id = members["$id"] {
                guard let text = id.stringValue, URIReference.scheme(of: text) != nil,
                      !URIReference.fragment(of: text).contains(where: { !$0.isEmpty })
                else {
                    throw JSONSchemaError(schemaPath: "/$id",
                                          message: "$id must be an absolute URI without a fragment")
                }
                baseURI = URIReference.withoutFragment(text)
            }
        }
        return try compile(document, at: "")
    }

    private mutating func compile(_ schema: JSONValue, at path: String) throws -> SchemaNode {
        let node: SchemaNode
        switch schema {
        case .bool(let value):
            node = SchemaNode(schemaPath: path, booleanSchema: value)
        case .object(let members):
            node = try compileObject(members, at: path)
        default:
            throw JSONSchemaError(schemaPath: path,
                                  message: "a schema is an object or a boolean, not \(schema.typeName)")
        }
        subschemas[path] = node
        return node
    }

    private mutating func compileObject(_ members: [String: JSONValue], at path: String) throws -> SchemaNode {
        for keyword in members.keys.sorted() where Self.unsupportedKeywords.contains(keyword) {
            throw JSONSchemaError(schemaPath: JSONPointer.appending(path, keyword),
                                  message: "keyword \"\(keyword)\" is not supported by this validator")
        }
        if !path.isEmpty, members["$id"] != nil {
            throw JSONSchemaError(schemaPath: JSONPointer.appending(path, "$id"),
                                  message: "$id is supported only at the root of a document")
        }
        func at(_ keyword: String) -> String { JSONPointer.appending(path, keyword) }

        if let defs = members["$defs"] {
            guard case .object(let definitions) = defs else {
                throw JSONSchemaError(schemaPath: at("$defs"), message: "$defs must be an object of schemas")
            }
            for (name, definition) in definitions.sorted(by: { $0.key < $1.key }) {
                _ = try compile(definition, at: JSONPointer.appending(at("$defs"), name))
            }
        }

        var types: [SchemaType]?
        if let type = members["type"] {
            types = try typeList(type, at: at("type"))
        }

        var properties: [String: SchemaNode] = [:]
        if let value = members["properties"] {
            guard case .object(let definitions) = value else {
                throw JSONSchemaError(schemaPath: at("properties"), message: "properties must be an object of schemas")
            }
            for (name, definition) in definitions.sorted(by: { $0.key < $1.key }) {
                properties[name] = try compile(definition, at: JSONPointer.appending(at("properties"), name))
            }
        }

        var required: [String] = []
        if let value = members["required"] {
            let names = value.arrayValue?.compactMap(\.stringValue)
            guard let names, names.count == value.arrayValue?.count, Set(names).count == names.count else {
                throw JSONSchemaError(schemaPath: at("required"), message: "required must be an array of distinct strings")
            }
            required = names
        }

        let additionalProperties = try members["additionalProperties"].map {
            try compile($0, at: at("additionalProperties"))
        }

        var items: SchemaNode?
        if let value = members["items"] {
            if case .array = value {
                throw JSONSchemaError(schemaPath: at("items"),
                                      message: "items is one schema in draft 2020-12 (the array form is prefixItems)")
            }
            items = try compile(value, at: at("items"))
        }

        var enumValues: [JSONValue]?
        if let value = members["enum"] {
            guard case .array(let values) = value else {
                throw JSONSchemaError(schemaPath: at("enum"), message: "enum must be an array")
            }
            enumValues = values
        }

        let minimum = try number(members["minimum"], at: at("minimum"))
        let maximum = try number(members["maximum"], at: at("maximum"))
        let minLength = try count(members["minLength"], at: at("minLength"))
        let maxLength = try count(members["maxLength"], at: at("maxLength"))
        let minItems = try count(members["minItems"], at: at("minItems"))

        var pattern: String?
        if let value = members["pattern"] {
            guard let source = value.stringValue else {
                throw JSONSchemaError(schemaPath: at("pattern"), message: "pattern must be a string")
            }
            do {
                _ = try Regex(source)
            } catch {
                throw JSONSchemaError(schemaPath: at("pattern"),
                                      message: "pattern \(source) is not a valid regular expression: \(error)")
            }
            pattern = source
        }

        var format: SchemaFormat?
        if let value = members["format"] {
            guard let name = value.stringValue else {
                throw JSONSchemaError(schemaPath: at("format"), message: "format must be a string")
            }
            guard let known = SchemaFormat(rawValue: name) else {
                throw JSONSchemaError(schemaPath: at("format"),
                                      message: "format \"\(name)\" is not supported (only date-time and uri)")
            }
            format = known
        }

        var reference: SchemaReference?
        if let value = members["$ref"] {
            guard let text = value.stringValue else {
                throw JSONSchemaError(schemaPath: at("$ref"), message: "$ref must be a string")
            }
            let resolved = try resolve(text, at: at("$ref"))
            references.append(resolved)
            reference = resolved
        }

        return SchemaNode(
            schemaPath: path, types: types, properties: properties, required: required,
            additionalProperties: additionalProperties, items: items, enumValues: enumValues,
            constValue: members["const"], minimum: minimum, maximum: maximum,
            minLength: minLength, maxLength: maxLength, minItems: minItems,
            pattern: pattern, format: format, reference: reference
        )
    }

    private func typeList(_ value: JSONValue, at path: String) throws -> [SchemaType] {
        let names: [JSONValue]
        switch value {
        case .string: names = [value]
        case .array(let array) where !array.isEmpty: names = array
        default:
            throw JSONSchemaError(schemaPath: path, message: "type must be a type name or a non-empty array of them")
        }
        return try names.map { name in
            guard let text = name.stringValue, let type = SchemaType(rawValue: text) else {
                let known = SchemaType.allCases.map(\.rawValue).joined(separator: ", ")
                throw JSONSchemaError(schemaPath: path, message: "unknown type \(name.jsonString()) (known: \(known))")
            }
            return type
        }
    }

    private func number(_ value: JSONValue?, at path: String) throws -> JSONValue? {
        guard let value else { return nil }
        guard value.numberValue != nil else {
            throw JSONSchemaError(schemaPath: path, message: "must be a number")
        }
        return value
    }

    private func count(_ value: JSONValue?, at path: String) throws -> Int? {
        guard let value else { return nil }
        switch value {
        case .int(let number) where number >= 0:
            return Int(clamping: number)
        case .double(let number) where number >= 0 && SchemaType.integer.matches(value):
            return number >= Double(Int.max) ? Int.max : Int(number)
        default:
            throw JSONSchemaError(schemaPath: path, message: "must be a non-negative integer")
        }
    }

    /// Resolves a `$ref` against this document's `$id`.
    private func resolve(_ text: String, at path: String) throws -> SchemaReference {
        let fragments = URIReference.fragment(of: text)
        guard let pointer = JSONPointer.percentDecoded(fragments.first ?? ""),
              pointer.isEmpty || pointer.hasPrefix("/")
        else {
            throw JSONSchemaError(schemaPath: path,
                                  message: "$ref \(text): only JSON-pointer fragments (\"#/$defs/name\") are supported")
        }
        let target = URIReference.withoutFragment(text)
        var document: String?
        if !target.isEmpty {
            if URIReference.scheme(of: target) != nil {
                document = target
            } else if let baseURI {
                document = URIReference.resolve(target, against: baseURI)
            } else {
                throw JSONSchemaError(schemaPath: path,
                                      message: "$ref \(text) is relative, but the document has no $id to resolve it against")
            }
            if document == baseURI { document = nil }
        }
        return SchemaReference(text: text, document: document, pointer: pointer, schemaPath: path)
    }
}

/// The little URI handling `$id` and `$ref` need (RFC 3986 section 5, without query subtleties).
enum URIReference {
    /// The scheme ("https"), or nil when the reference is relative.
    static func scheme(of text: String) -> Substring? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        guard let first = scheme.unicodeScalars.first, first.isASCIILetter,
              scheme.unicodeScalars.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "+-.".unicodeScalars.contains($0) })
        else { return nil }
        return scheme
    }

    /// The fragment after "#", as a zero- or one-element array (an empty fragment is [""]).
    static func fragment(of text: String) -> [String] {
        guard let hash = text.firstIndex(of: "#") else { return [] }
        return [String(text[text.index(after: hash)...])]
    }

    static func withoutFragment(_ text: String) -> String {
        guard let hash = text.firstIndex(of: "#") else { return text }
        return String(text[..<hash])
    }

    /// Resolves a relative reference (no scheme, no fragment) against an absolute base.
    static func resolve(_ reference: String, against base: String) -> String {
        if reference.hasPrefix("//") {
            return String(scheme(of: base) ?? "") + ":" + reference
        }
        // Split the base into "scheme://authority" and its path.
        var prefix = Substring(base)
        var basePath = Substring("")
        if let schemeEnd = base.firstRange(of: "://") {
            let afterAuthority = base[schemeEnd.upperBound...].firstIndex(of: "/") ?? base.endIndex
            prefix = base[..<afterAuthority]
            basePath = base[afterAuthority...]
        }
        if let query = basePath.firstIndex(of: "?") { basePath = basePath[..<query] }
        let merged: String
        if reference.hasPrefix("/") {
            merged = reference
        } else if let lastSlash = basePath.lastIndex(of: "/") {
            merged = String(basePath[...lastSlash]) + reference
        } else {
            merged = "/" + reference
        }
        return String(prefix) + removingDotSegments(merged)
    }

    private static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if output.count > 1 { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return output.joined(separator: "/")
    }
}

fileprivate extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
