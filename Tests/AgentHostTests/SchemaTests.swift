import Foundation
import Testing

@testable import AgentHost
import DriverModel

/// The JSON Schema validator (Sources/AgentHost/Schema) and the driver schemas (Docs/schemas).
/// Tests/schema_crosscheck.py runs the same fixture files through Python's jsonschema.
@Suite struct SchemaTests {
    // MARK: - Keywords

    @Suite struct Keywords {
        @Test func typeNamesEveryJSONType() throws {
            let cases: [(type: String, valid: [String], invalid: [String])] = [
                ("null", ["null"], ["0", "false", "\"\""]),
                ("boolean", ["true", "false"], ["0", "\"true\"", "null"]),
                ("integer", ["0", "-7", "2.0", "9223372036854775807"], ["2.5", "true", "\"1\""]),
                ("number", ["0", "2.5", "-1e3"], ["\"1\"", "true", "null"]),
                ("string", ["\"\"", "\"x\""], ["1", "[]", "null"]),
                ("array", ["[]", "[1, \"a\"]"], ["{}", "\"[]\""]),
                ("object", ["{}", "{\"a\": 1}"], ["[]", "null"]),
            ]
            for (type, valid, invalid) in cases {
                let schema = try compile(#"{"type": "\#(type)"}"#)
                for text in valid {
                    #expect(paths(schema, text) == [], "\(text) is a \(type)")
                }
                for text in invalid {
                    #expect(paths(schema, text) == [""], "\(text) is not a \(type)")
                }
            }
        }

        @Test func integralDoubleIsAnIntegerAndIntIsANumber() throws {
            let integer = try compile(#"{"type": "integer"}"#)
            #expect(integer.validate(.double(3000)) == [])
            #expect(integer.validate(.double(3000.5)).count == 1)
            let number = try compile(#"{"type": "number"}"#)
            #expect(number.validate(.int(2)) == [])
        }

        @Test func typeArrayAcceptsAnyOfItsTypes() throws {
            let schema = try compile(#"{"type": ["string", "null"]}"#)
            #expect(paths(schema, #""x""#) == [])
            #expect(paths(schema, "null") == [])
            let violations = schema.validate(.int(1))
            #expect(violations.map(\.message) == ["expected string or null, found integer 1"])
        }

        @Test func propertiesValidateOnlyWhatIsThere() throws {
            let schema = try compile(#"{"properties": {"a": {"type": "string"}, "b~/c": {"type": "integer"}}}"#)
            #expect(paths(schema, #"{"a": "x", "other": 1}"#) == [])
            #expect(paths(schema, "{}") == [])
            #expect(paths(schema, #"{"a": 1, "b~/c": "x"}"#) == ["/a", "/b~0~1c"])
            #expect(paths(schema, "[1]") == [], "properties say nothing about non-objects")
        }

        @Test func requiredReportsEachMissingPropertyAtTheObject() throws {
            let schema = try compile(#"{"properties": {"inner": {"required": ["x"]}}, "required": ["a", "b"]}"#)
            #expect(paths(schema, #"{"a": 1, "b": null}"#) == [])
            let violations = validate(schema, #"{"inner": {}}"#)
            #expect(violations == [
                JSONSchemaViolation(path: "", message: #"missing required property "a""#),
                JSONSchemaViolation(path: "", message: #"missing required property "b""#),
                JSONSchemaViolation(path: "/inner", message: #"missing required property "x""#),
            ])
        }

        @Test func additionalPropertiesFalseNamesTheIntruder() throws {
            let schema = try compile(#"{"properties": {"a": {}}, "additionalProperties": false}"#)
            #expect(paths(schema, #"{"a": 1}"#) == [])
            let violations = validate(schema, #"{"a": 1, "zz": 2}"#)
            #expect(violations == [JSONSchemaViolation(path: "/zz", message: #"property "zz" is not allowed here"#)])
        }

        @Test func additionalPropertiesSchemaAppliesToTheOthers() throws {
            let schema = try compile(#"{"properties": {"n": {"type": "integer"}}, "additionalProperties": {"type": "string"}}"#)
            #expect(paths(schema, #"{"n": 1, "TZ": "UTC"}"#) == [])
            #expect(paths(schema, #"{"n": 1, "PUID": 1000, "B": true}"#) == ["/B", "/PUID"])
            #expect(try paths(compile(#"{"additionalProperties": true}"#), #"{"x": 1}"#) == [])
        }

        @Test func itemsAppliesToEveryElement() throws {
            let schema = try compile(#"{"items": {"type": "integer"}}"#)
            #expect(paths(schema, "[]") == [])
            #expect(paths(schema, "[1, 2, 3]") == [])
            #expect(paths(schema, #"[1, "2", 3, null]"#) == ["/1", "/3"])
        }

        @Test func enumUsesJSONEquality() throws {
            let schema = try compile(#"{"enum": ["tcp", 1, null, {"a": [1, 2]}]}"#)
            for text in [#""tcp""#, "1", "1.0", "null", #"{"a": [1.0, 2]}"#] {
                #expect(paths(schema, text) == [], "\(text) is in the enum")
            }
            for text in [#""TCP""#, "true", "2", #"{"a": [2, 1]}"#, #"{"a": [1, 2], "b": 0}"#, "[]"] {
                #expect(paths(schema, text) == [""], "\(text) is not in the enum")
            }
            #expect(validate(schema, #""udp""#).first?.message == #""udp" is not one of "tcp", 1, null, {"a":[1,2]}"#)
        }

        @Test func constUsesJSONEquality() throws {
            let object = try compile(#"{"const": {"a": 1, "b": [true]}}"#)
            #expect(paths(object, #"{"b": [true], "a": 1.0}"#) == [])
            #expect(paths(object, #"{"a": 1}"#) == [""])
            let null = try compile(#"{"const": null}"#)
            #expect(paths(null, "null") == [])
            #expect(paths(null, "0") == [""])
            #expect(paths(try compile(#"{"const": 0}"#), "false") == [""], "false is not 0")
        }

        @Test func minimumAndMaximumAreInclusive() throws {
            let schema = try compile(#"{"minimum": 1, "maximum": 65535}"#)
            for text in ["1", "65535", "1.0", "3000.5"] {
                #expect(paths(schema, text) == [], "\(text) is in range")
            }
            for text in ["0", "0.999", "65536", "70000", "-1"] {
                #expect(paths(schema, text) == [""], "\(text) is out of range")
            }
            #expect(paths(schema, #""70000""#) == [], "bounds say nothing about strings")
            #expect(validate(schema, "70000").first?.message == "70000 is greater than the maximum 65535")
            #expect(validate(schema, "0").first?.message == "0 is less than the minimum 1")
            let fractional = try compile(#"{"minimum": 0.5}"#)
            #expect(paths(fractional, "0") == [""])
            #expect(paths(fractional, "1") == [])
            let huge = try compile(#"{"maximum": 9223372036854775806}"#)
            #expect(paths(huge, "9223372036854775807") == [""], "integers compare exactly")
        }

        @Test func lengthsCountUnicodeScalars() throws {
            let schema = try compile(#"{"minLength": 2, "maxLength": 3}"#)
            #expect(paths(schema, #""ab""#) == [])
            #expect(paths(schema, #""abc""#) == [])
            #expect(paths(schema, #""a""#) == [""])
            #expect(paths(schema, #""abcd""#) == [""])
            // "e" + U+0301 is one Character but two code points, as JSON Schema counts them.
            #expect(paths(schema, #""e\u0301""#) == [])
            #expect(paths(schema, #""\ud83d\udc4d""#) == [""], "an emoji outside the BMP is one code point")
            #expect(paths(schema, "12345") == [], "lengths say nothing about numbers")
        }

        @Test func patternSearchesUnanchoredAndDollarIsTheVeryEnd() throws {
            let unanchored = try compile(#"{"pattern": "b+"}"#)
            #expect(paths(unanchored, #""abbc""#) == [])
            #expect(paths(unanchored, #""ac""#) == [""])
            let anchored = try compile(#"{"pattern": "^/"}"#)
            #expect(paths(anchored, #""/config""#) == [])
            #expect(paths(anchored, #""config/""#) == [""])
            let id = try compile(#"{"pattern": "^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"}"#)
            #expect(paths(id, #""alice-firefox-1a2b3c4d""#) == [])
            #expect(paths(id, #""é""#) == [""])
            // ECMA-262 `$` does not match before a final newline (Python's `re` would).
            #expect(paths(id, #""alice\n""#) == [""])
            #expect(validate(id, #""Alice""#).first?.message == #""Alice" does not match the pattern ^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$"#)
        }

        @Test func minItemsCountsElements() throws {
            let schema = try compile(#"{"minItems": 2}"#)
            #expect(paths(schema, "[1, 2]") == [])
            #expect(paths(schema, "[1]") == [""])
            #expect(paths(schema, "{}") == [])
        }

        @Test func booleanSchemas() throws {
            let schema = try compile(#"{"properties": {"yes": true, "no": false}}"#)
            #expect(paths(schema, #"{"yes": [1]}"#) == [])
            #expect(paths(schema, #"{"no": 1}"#) == ["/no"])
            #expect(try compile("false").validate(.null).count == 1)
            #expect(try compile("true").validate(.null) == [])
        }

        @Test func localReferencesToDefs() throws {
            let schema = try compile(#"""
            {"$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535},
                       "a/b": {"type": "string"}},
             "properties": {"p": {"$ref": "#/$defs/port"}, "s": {"$ref": "#/$defs/a~1b"},
                            "q": {"$ref": "#/properties/p"}}}
            """#)
            #expect(paths(schema, #"{"p": 3000, "s": "x", "q": 1}"#) == [])
            #expect(paths(schema, #"{"p": 70000, "s": 1, "q": 0}"#) == ["/p", "/q", "/s"])
        }

        @Test func recursiveReferenceToTheRoot() throws {
            let tree = try compile(##"{"type": "object", "properties": {"children": {"items": {"$ref": "#"}}}}"##)
            #expect(paths(tree, #"{"children": [{"children": [{}]}]}"#) == [])
            #expect(paths(tree, #"{"children": [{"children": [1]}]}"#) == ["/children/0/children/0"])
        }

        @Test func referenceCyclesAreCutOff() throws {
            let loop = try compile(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##)
            let violations = loop.validate(.null)
            #expect(violations.count == 1)
            #expect(violations.first?.message.contains("nests deeper") == true)
        }

        @Test func referencesToAnotherDocumentById() throws {
            let port = try compile(#"""
            {"$id": "https://example.com/schemas/v1/port.schema.json",
             "type": "integer", "minimum": 1, "maximum": 65535,
             "$defs": {"name": {"type": "string", "maxLength": 3}}}
            """#)
            let service = try compile(#"""
            {"$id": "https://example.com/schemas/v1/service.schema.json",
             "properties": {
               "absolute": {"$ref": "https://example.com/schemas/v1/port.schema.json"},
               "relative": {"$ref": "port.schema.json"},
               "dotted": {"$ref": "../v1/./port.schema.json"},
               "fragment": {"$ref": "port.schema.json#/$defs/name"}}}
            """#)
            let registry = try SchemaRegistry([port, service])
            #expect(registry.names == ["port", "service"])
            #expect(paths(service, #"{"absolute": 1, "relative": 2, "dotted": 3, "fragment": "abc"}"#, registry) == [])
            #expect(paths(service, #"{"absolute": 0, "relative": 70000, "dotted": "3", "fragment": "abcd"}"#, registry)
                == ["/absolute", "/dotted", "/fragment", "/relative"])
            let unresolved = validate(service, #"{"absolute": 1}"#)
            #expect(unresolved.map(\.path) == ["/absolute"])
            #expect(unresolved.first?.message.contains("cannot resolve $ref") == true)
        }

        @Test func registryRejectsBrokenReferencesAndDuplicates() throws {
            let dangling = try compile(#"{"$id": "https://example.com/a.schema.json", "$ref": "b.schema.json"}"#)
            #expect(throws: JSONSchemaError.self) { try SchemaRegistry([dangling]) }
            let badPointer = try compile(##"{"$id": "https://example.com/a.schema.json", "$ref": "#/$defs/missing"}"##)
            #expect(throws: JSONSchemaError.self) { try SchemaRegistry([badPointer]) }
            let noID = try compile(#"{"type": "string"}"#)
            #expect(throws: JSONSchemaError.self) { try SchemaRegistry([noID]) }
            let one = try compile(#"{"$id": "https://example.com/a.schema.json"}"#)
            #expect(throws: JSONSchemaError.self) { try SchemaRegistry([one, one]) }
        }

        @Test(arguments: [
            "2025-01-01T00:00:00Z", "2025-12-04T13:11:05.123456789-07:00", "2024-02-29T23:59:59+23:59",
            "2025-01-01t00:00:00z", "0001-01-01T00:00:00Z", "2000-02-29T12:00:00.5+00:00",
        ])
        func dateTimeAccepts(_ text: String) {
            #expect(SchemaFormats.isDateTime(text))
        }

        @Test(arguments: [
            "", "yesterday", "2025-01-01", "2025-01-01T00:00:00", "2025-01-01 00:00:00Z", "2025-1-01T00:00:00Z",
            "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-13-01T00:00:00Z",
            "2025-00-10T00:00:00Z", "2025-01-00T00:00:00Z", "0000-01-01T00:00:00Z", "2025-01-01T24:00:00Z",
            "2025-01-01T00:60:00Z", "2016-12-31T23:59:60Z", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00+24:00",
            // (Python's rfc3339-validator accepts a final "\n": its regex ends in `$`, which Python lets
            // match before one. Rejecting it is right; the crosscheck fixtures avoid the case.)
            "2025-01-01T00:00:00+0100", "2025-01-01T00:00:00Z ", "2025-01-01T00:00:00Z\n", "２０２５-01-01T00:00:00Z",
        ])
        func dateTimeRejects(_ text: String) {
            #expect(!SchemaFormats.isDateTime(text))
        }

        @Test(arguments: [
            "http://127.0.0.1:49153", "https://example.com/a/b?c=d&e#f", "http://[::1]:3000/", "http://[fe80::1:2]",
            "http://[::ffff:192.0.2.1]", "http://[1:2:3:4:5:6:7:8]", "http://[v1.fe:80]", "vnc://user:pw@host:5900",
            "mailto:alice@example.com", "urn:isbn:0451450523", "localhost:3000", "http://h/%20a", "http://", "x:",
            "file:///config", "http://a:/", "ws://h?q=/?#/?",
        ])
        func uriAccepts(_ text: String) {
            #expect(SchemaFormats.isURI(text))
        }

        @Test(arguments: [
            "", "127.0.0.1:3000", "/relative/path", "//host/path", "3http://h", "http://h/a b", "http://h/%2",
            "http://h/%zz", "http://[::1", "http://[::1::2]", "http://[1:2:3:4:5:6:7:8:9]", "http://[12345::]",
            "http://h:80a", "http://a@b@c", "http://h/é", "http://h#a#b", "http://h/{x}", "http://[1.2.3.4]",
        ])
        func uriRejects(_ text: String) {
            #expect(!SchemaFormats.isURI(text))
        }

        @Test func formatsAssertOnlyOnStrings() throws {
            let schema = try compile(#"{"properties": {"t": {"format": "date-time"}, "u": {"format": "uri"}}}"#)
            #expect(paths(schema, #"{"t": "2025-01-01T00:00:00Z", "u": "http://h"}"#) == [])
            #expect(paths(schema, #"{"t": "yesterday", "u": "not a uri"}"#) == ["/t", "/u"])
            #expect(paths(schema, #"{"t": 1, "u": null}"#) == [])
        }

        @Test func annotationsAndUnknownKeywordsAreIgnored() throws {
            let schema = try compile(#"""
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "T", "description": "D",
             "default": 1, "examples": [1], "$comment": "c", "x-vendor": {"anything": true}, "deprecated": true,
             "type": "integer"}
            """#)
            #expect(paths(schema, "5") == [])
            #expect(paths(schema, #""5""#) == [""])
        }

        @Test(arguments: [
            #"{"anyOf": [{"type": "string"}]}"#, #"{"exclusiveMinimum": 0}"#, #"{"uniqueItems": true}"#,
            #"{"properties": {"a": {"oneOf": []}}}"#, #"{"maxItems": 2}"#, #"{"$anchor": "x"}"#,
        ])
        func unsupportedKeywordsAreRefused(_ text: String) throws {
            #expect(throws: JSONSchemaError.self) { try JSONSchema(parsing: text) }
        }

        @Test(arguments: [
            #"{"format": "email"}"#, #"{"pattern": "([a-z"}"#, #"{"type": "int"}"#, #"{"type": []}"#,
            #"{"required": "a"}"#, #"{"required": ["a", "a"]}"#, #"{"minLength": -1}"#, #"{"minLength": 1.5}"#,
            #"{"minimum": "0"}"#, #"{"items": [{}]}"#, #"{"properties": {"a": 1}}"#, #"{"enum": "a"}"#,
            #"{"$schema": "http://json-schema.org/draft-07/schema#"}"#, #"{"$id": "relative.json"}"#,
            ##"{"properties": {"a": {"$id": "https://x/a"}}}"##, ##"{"$ref": "other.json"}"##, ##"{"$ref": "#anchor"}"##,
            #"{"$defs": {"a": 1}}"#, #"[]"#,
        ])
        func malformedSchemasAreRefused(_ text: String) throws {
            #expect(throws: JSONSchemaError.self) { try JSONSchema(parsing: text) }
        }

        @Test func violationsDescribeThemselves() {
            #expect(JSONSchemaViolation(path: "/state", message: "x").description == "/state: x")
            #expect(JSONSchemaViolation(path: "", message: "x").description == "(root): x")
        }
    }

    // MARK: - The driver schemas

    @Suite struct DriverObjects {
        let registry = SchemaRegistry.driverV1

        @Test func allTenSchemasAreRegistered() {
            #expect(registry.names == [
                "describe", "error", "health", "log-request", "node-metrics", "session-list",
                "session-metrics", "session-spec", "session-status", "stop-request",
            ])
            for name in registry.names {
                #expect(registry.schema(named: name)?.id == "https://streamspace.io/schemas/driver/v1/\(name).schema.json")
            }
        }

        @Test func theHeadersExamplesAreValid() throws {
            let spec = try JSONValue(parsing: #"""
            {"id":"alice-firefox-1a2b3c4d","user":"alice",
             "template":{"name":"firefox","image":"lscr.io/linuxserver/firefox:latest",
                         "env":{"TZ":"UTC"},"ports":[{"name":"vnc","port":3000,"protocol":"tcp"}],
                         "volumeMounts":[{"name":"home","mountPath":"/config"}]},
             "resources":{"cpu":"1000m","memory":"2Gi","cpuMillicores":1000,"memoryBytes":2147483648},
             "persistentHome":true,"labels":{"team":"qa"}}
            """#)
            #expect(registry.validate(spec, against: "session-spec") == [])
            let status = try JSONValue(parsing: #"""
            {"sessionId":"alice-firefox-1a2b3c4d","state":"running",
             "endpoints":[{"name":"vnc","port":3000,"url":"http://127.0.0.1:49153"}],
             "platformMetadata":{"containerName":"ss-alice-firefox-1a2b3c4d"},"message":"why it failed"}
            """#)
            #expect(registry.validate(status, against: "session-status") == [])
            #expect(registry.validate(.object(["sessions": .array([status, status])]), against: "session-list") == [])
        }

        @Test func everySchemasOwnExamplesAreValid() throws {
            for (name, text) in DriverSchemas.all {
                let examples = try #require(try JSONValue(parsing: text)["examples"]?.arrayValue, "\(name) has examples")
                #expect(!examples.isEmpty)
                for example in examples {
                    #expect(registry.validate(example, against: name) == [], "example of \(name)")
                }
            }
        }

        @Test func pausedIsNotAState() throws {
            let status = try JSONValue(parsing: #"{"sessionId": "alice-firefox-1a2b3c4d", "state": "paused"}"#)
            let violations = registry.validate(status, against: "session-status")
            #expect(violations.map(\.path) == ["/state"])
            #expect(violations.first?.description.hasPrefix(#"/state: "paused" is not one of "starting""#) == true)
        }

        @Test func portOutOfRangeIsNamedByItsPath() throws {
            let spec = try JSONValue(parsing: #"""
            {"id": "alice-firefox-1a2b3c4d", "user": "alice",
             "template": {"image": "nginx", "ports": [{"name": "vnc", "port": 70000}]}}
            """#)
            #expect(registry.validate(spec, against: "session-spec")
                == [JSONSchemaViolation(path: "/template/ports/0/port", message: "70000 is greater than the maximum 65535")])
        }

        @Test func memoryBytesMustBeAnInteger() throws {
            let metrics = try JSONValue(parsing: #"""
            {"cpuCores": 2, "cpuUsedCores": 0.4, "memoryBytes": "8Gi", "memoryUsedBytes": 1,
             "diskBytes": 1, "diskUsedBytes": 1}
            """#)
            #expect(registry.validate(metrics, against: "node-metrics")
                == [JSONSchemaViolation(path: "/memoryBytes", message: #"expected integer, found string "8Gi""#)])
        }

        @Test func unknownFieldsAreAccepted() throws {
            let health = try JSONValue(parsing: #"{"status": "healthy", "since": 12, "extra": {"a": [1]}}"#)
            #expect(registry.validate(health, against: "health") == [])
        }

        @Test func anUnknownSchemaNameNeverPasses() {
            let violations = registry.validate(.object([:]), against: "session-stauts")
            #expect(violations.count == 1)
            #expect(violations.first?.message.hasPrefix(#"no schema named "session-stauts""#) == true)
        }

        @Test func embeddedCopiesEqualDocsSchemas() throws {
            let directory = packageRoot.appendingPathComponent("Docs/schemas")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".schema.json") }.sorted()
            #expect(files.map { String($0.dropLast(".schema.json".count)) } == DriverSchemas.all.map(\.name).sorted(),
                    "run Scripts/gen-schemas.py")
            for (name, text) in DriverSchemas.all {
                let file = try String(contentsOf: directory.appendingPathComponent("\(name).schema.json"), encoding: .utf8)
                let same = file == text
                #expect(same, "DriverSchemas.swift's copy of \(name) is stale: run Scripts/gen-schemas.py")
            }
        }
    }

    // MARK: - Fixtures shared with Tests/schema_crosscheck.py

    @Suite struct Fixtures {
        static let directory = packageRoot.appendingPathComponent("Tests/Fixtures/schema-examples")

        static func files(_ kind: String) -> [String] {
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(kind).path)
            return (names ?? []).filter { $0.hasSuffix(".json") }.sorted()
        }

        /// The schema a fixture is for: the longest schema name its file name starts with.
        static func schemaName(_ file: String) -> String? {
            SchemaRegistry.driverV1.names.filter { file.hasPrefix($0 + "-") }.max { $0.count < $1.count }
        }

        static func violations(_ kind: String, _ file: String) throws -> [JSONSchemaViolation] {
            let name = try #require(schemaName(file), "\(file) starts with a schema name")
            let text = try String(contentsOf: directory.appendingPathComponent(kind).appendingPathComponent(file), encoding: .utf8)
            return SchemaRegistry.driverV1.validate(try JSONValue(parsing: text), against: name)
        }

        @Test func thereAreFixturesOfBothKinds() {
            #expect(Self.files("valid").count >= 20)
            #expect(Self.files("invalid").count >= 20)
        }

        @Test(arguments: files("valid"))
        func validFixture(_ file: String) throws {
            #expect(try Self.violations("valid", file) == [])
        }

        @Test(arguments: files("invalid"))
        func invalidFixture(_ file: String) throws {
            let expected = try JSONValue(parsing: try String(
                contentsOf: Self.directory.appendingPathComponent("expected-paths.json"), encoding: .utf8))
            let listed = expected[file]?.arrayValue?.compactMap { $0.stringValue }
            let paths = try #require(listed, "expected-paths.json lists \(file)")
            let violations = try Self.violations("invalid", file)
            #expect(!violations.isEmpty)
            #expect(Array(Set(violations.map(\.path))).sorted() == paths, "\(violations)")
        }
    }
}

// MARK: - Helpers

/// The package root: this file is Tests/AgentHostTests/SchemaTests.swift.
private let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func compile(_ text: String) throws -> JSONSchema {
    try JSONSchema(parsing: text)
}

private func validate(_ schema: JSONSchema, _ text: String, _ registry: SchemaRegistry? = nil) -> [JSONSchemaViolation] {
    do {
        return schema.validate(try JSONValue(parsing: text), registry: registry)
    } catch {
        Issue.record("test input is not JSON: \(text)")
        return []
    }
}

/// The sorted, distinct paths of the violations.
private func paths(_ schema: JSONSchema, _ text: String, _ registry: SchemaRegistry? = nil) -> [String] {
    Array(Set(validate(schema, text, registry).map(\.path))).sorted()
}
