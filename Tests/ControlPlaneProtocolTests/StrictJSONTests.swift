import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// StrictJSON must read JSON the way Go's encoding/json does (the real Control Plane is Go).
@Suite struct StrictJSONTests {
    // MARK: - Integers and doubles are kept apart

    @Test(arguments: [
        ("1", JSONValue.int(1)), ("0", .int(0)), ("-0", .int(0)), ("-42", .int(-42)),
        ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
        ("1.0", .double(1)), ("1e3", .double(1000)), ("1E3", .double(1000)), ("1e+3", .double(1000)),
        ("-0.5", .double(-0.5)), ("2.5e-1", .double(0.25)), ("0.0", .double(0)),
    ])
    func numbersWithoutFractionOrExponentAreIntegers(_ text: String, _ expected: JSONValue) throws {
        let value = try StrictJSON.parse(text)
        #expect(value == expected)
        #expect(value.typeName == expected.typeName, "\(text) must be \(expected.typeName)")
    }

    @Test func negativeZeroDoubleKeepsItsSign() throws {
        let value = try StrictJSON.parse("-0.0")
        guard case .double(let number) = value else { Issue.record("-0.0 is \(value)"); return }
        #expect(number == 0 && number.sign == .minus)
    }

    @Test(arguments: [
        ("9223372036854775808", 9_223_372_036_854_775_808.0),
        ("-9223372036854775809", -9_223_372_036_854_775_809.0),
        ("123456789012345678901234567890", 1.2345678901234568e29),
    ])
    func integersBeyondInt64BecomeDoubles(_ text: String, _ expected: Double) throws {
        #expect(try StrictJSON.parse(text) == .double(expected))
    }

    // MARK: - One value per document

    @Test(arguments: ["{} {}", "{}\n{}", "{}\r\n{}", "[]]", "1 2", "{}x", "\"a\"\"b\"", "null,"])
    func dataAfterTheValueIsAnError(_ text: String) {
        let error = #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
        #expect(error?.message.contains("unexpected data after the top-level value") == true)
    }

    @Test func theErrorNamesTheByteOffset() throws {
        do {
            _ = try StrictJSON.parse("{} {}")
            Issue.record("parsed two values")
        } catch {
            #expect(error.offset == 3)
            #expect(error.description == "invalid JSON at byte 3: unexpected data after the top-level value (one JSON value per frame)")
        }
    }

    @Test(arguments: [" 1", "1 ", "\t\n\r 1 \r\n\t", " [ 1 , { \"a\" : 2 } ] "])
    func whiteSpaceAroundAndBetweenTokensIsAllowed(_ text: String) throws {
        _ = try StrictJSON.parse(text)
    }

    @Test(arguments: ["\u{0C}1", "\u{0B}1", "\u{A0}1", "1\u{2028}", "\u{FEFF}{}"])
    func onlyJSONWhiteSpaceCounts(_ text: String) {
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
    }

    @Test func stringAndByteEntryPointsAgree() throws {
        let text = #"{"a":[1,1.5,"é😀",true,null]}"#
        #expect(try StrictJSON.parse(text) == StrictJSON.parse(Array(text.utf8)))
    }

    // MARK: - Numbers that are not JSON

    @Test(arguments: ["01", "-01", "00", "[01]", "{\"a\":01}", "-", "-a", "--1", "+1", ".5", "1.", "1.e3", "1e", "1e+", "0x10", "1_000", "NaN", "Infinity", "-Infinity"])
    func malformedNumbersAreRejected(_ text: String) {
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
    }

    @Test func aLoneMinusSaysInvalidNumber() {
        let error = #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse("-") }
        #expect(error?.message == "invalid number")
    }

    /// Go's decoder refuses a number it cannot hold in a float64 ("cannot unmarshal number
    /// 1e400 into ... float64"): the whole message is dropped. StrictJSON makes it infinity,
    /// which JSONValue.jsonString() then cannot encode (it writes `null` for the whole value).
    @Test(arguments: ["1e400", "-1e400", "[1e999]"])
    func numbersBeyondDoubleRangeAreRejectedLikeGo(_ text: String) {
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
    }

    // MARK: - Strings

    @Test(arguments: [
        (#""caf\u00e9""#, "café"), (#""\u00E9""#, "é"), (#""\ud83d\ude00""#, "😀"), (#""\uD83D\uDE00""#, "😀"),
        (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"), (#""a\u0000b""#, "a\u{0}b"), (#""\u20ac""#, "€"),
        ("\"café 日本 😀\"", "café 日本 😀"), ("\"a\u{7F}b\"", "a\u{7F}b"),
    ])
    func escapesAndRawUnicodeDecode(_ text: String, _ expected: String) throws {
        #expect(try StrictJSON.parse(text) == .string(expected))
    }

    /// Go substitutes U+FFFD for a surrogate that is not half of a pair, and keeps reading.
    @Test(arguments: [
        (#""\ud800""#, "\u{FFFD}"), (#""\udc00""#, "\u{FFFD}"), (#""a\ud83db""#, "a\u{FFFD}b"),
        (#""\ud83d\u0041""#, "\u{FFFD}A"), (#""\ud83d\ud83d\ude00""#, "\u{FFFD}😀"),
        (#""\ude00\ud83d""#, "\u{FFFD}\u{FFFD}"), (#""\ud83d\n""#, "\u{FFFD}\n"), (#""\udfff\udfff""#, "\u{FFFD}\u{FFFD}"),
    ])
    func loneSurrogatesBecomeTheReplacementCharacter(_ text: String, _ expected: String) throws {
        #expect(try StrictJSON.parse(text) == .string(expected))
    }

    @Test(arguments: [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1F] as [UInt8])
    func rawControlCharactersInStringsAreRejected(_ byte: UInt8) {
        let bytes = Array("\"a".utf8) + [byte] + Array("b\"".utf8)
        let error = #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(bytes) }
        #expect(error?.message == "control character in a string")
        #expect(error?.offset == 2)
    }

    @Test(arguments: [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] as [[UInt8]])
    func invalidUTF8InStringsIsRejected(_ sequence: [UInt8]) {
        let bytes = Array("{\"k\":\"ok".utf8) + sequence + Array("\"}".utf8)
        let error = #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(bytes) }
        #expect(error?.message == "invalid UTF-8 in a string")
    }

    @Test func invalidUTF8InAKeyIsRejected() {
        let bytes: [UInt8] = Array("{\"".utf8) + [0xFF] + Array("\":1}".utf8)
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(bytes) }
    }

    @Test(arguments: [#""\x41""#, #""\u12""#, #""\u12G4""#, #""\U0041""#, #""\'""#, "\"\\", "\"abc", #""\ud83d\u12""#])
    func badEscapesAndUnterminatedStringsAreRejected(_ text: String) {
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
    }

    // MARK: - Structure

    @Test func duplicateKeysKeepTheLastValue() throws {
        #expect(try StrictJSON.parse(#"{"a":1,"a":2}"#) == .object(["a": .int(2)]))
        #expect(try StrictJSON.parse(#"{"a":{"x":1},"b":0,"a":"s"}"#) == .object(["a": .string("s"), "b": .int(0)]))
    }

    @Test func nestingUpTo512LevelsParses() throws {
        let empty = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try StrictJSON.parse(empty).arrayValue != nil)
        // The limit counts the innermost scalar as a level too.
        let holdingANumber = String(repeating: "[", count: 511) + "1" + String(repeating: "]", count: 511)
        #expect(try StrictJSON.parse(holdingANumber).arrayValue != nil)
        let objects = String(repeating: #"{"a":"#, count: 511) + "{}" + String(repeating: "}", count: 511)
        #expect(try StrictJSON.parse(objects).objectValue != nil)
    }

    @Test(arguments: [513, 10_000, 200_000])
    func deeperNestingIsRejectedWithoutCrashing(_ depth: Int) {
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let error = #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
        #expect(error?.message == "nesting deeper than 512")
        // Unbalanced input of that depth too (the limit applies before the end is seen).
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(String(repeating: #"{"a":"#, count: depth)) }
    }

    @Test(arguments: ["", " ", "[", "{", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\":}", "[1 2]", "{1:2}", "tru", "truee", "True", "nul", "'a'", "]", "[}", "/* c */ 1"])
    func malformedStructureIsRejected(_ text: String) {
        #expect(throws: StrictJSON.SyntaxError.self) { try StrictJSON.parse(text) }
    }

    // MARK: - Corpus cross-checked against Python's json module

    /// One document of Tests/Fixtures/control-plane/strict_json_corpus.json.
    struct CorpusCase: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        /// Nil when Python rejects the document.
        var expected: JSONValue?
        var testDescription: String { name }
    }

    static let corpusFile = "strict_json_corpus.json"

    static let corpus: [CorpusCase] = {
        guard let text = try? Fixtures.text(corpusFile), let document = try? JSONValue.foundation(text),
              let cases = document["cases"]?.arrayValue else { return [] }
        return cases.compactMap { item -> CorpusCase? in
            guard let name = item["name"]?.stringValue, let hex = item["input_hex"]?.stringValue,
                  let valid = item["valid"]?.boolValue, let bytes = bytes(hex: hex) else { return nil }
            return CorpusCase(name: name, bytes: bytes, expected: valid ? item["value"].flatMap(untagged) : nil)
        }
    }()

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }

    /// The generator's tagged form (["int","1"], ["float","1.0"], ...) back to a JSONValue.
    static func untagged(_ tagged: JSONValue) -> JSONValue? {
        guard let parts = tagged.arrayValue, let tag = parts.first?.stringValue else { return nil }
        let body = parts.count > 1 ? parts[1] : JSONValue.null
        switch tag {
        case "null": return .null
        case "bool": return body.boolValue.map(JSONValue.bool)
        case "int": return body.stringValue.flatMap { Int64($0) }.map(JSONValue.int)
        case "float": return body.stringValue.flatMap { Double($0) }.map(JSONValue.double)
        case "string": return body.stringValue.map(JSONValue.string)
        case "array":
            guard let items = body.arrayValue else { return nil }
            let values = items.compactMap(untagged)
            return values.count == items.count ? .array(values) : nil
        case "object":
            guard let members = body.objectValue else { return nil }
            let values = members.compactMapValues(untagged)
            return values.count == members.count ? .object(values) : nil
        default: return nil
        }
    }

    @Test func theCorpusIsLoadedAndHasBothKinds() {
        #expect(Self.corpus.count >= 100)
        #expect(Self.corpus.filter { $0.expected != nil }.count >= 40)
        #expect(Self.corpus.filter { $0.expected == nil }.count >= 50)
    }

    @Test(arguments: corpus)
    func agreesWithPython(_ item: CorpusCase) {
        let result = Result { () throws(StrictJSON.SyntaxError) -> JSONValue in try StrictJSON.parse(item.bytes) }
        switch (result, item.expected) {
        case (.success(let value), let expected?):
            #expect(value == expected)
        case (.success(let value), nil):
            Issue.record("Python rejects \(item.name) but StrictJSON reads \(value)")
        case (.failure(let error), _?):
            Issue.record("Python reads \(item.name) but StrictJSON says: \(error)")
        case (.failure, nil):
            break
        }
    }

    /// The committed corpus is exactly what the generator script writes today (so nobody edits
    /// the golden file by hand and drifts away from Python).
    @Test(.enabled(if: Fixtures.executable("python3") != nil, "python3 is needed to regenerate the corpus"))
    func theCorpusIsWhatTheGeneratorWrites() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.executable("python3")!)
        process.arguments = [Fixtures.url("gen_strict_json_corpus.py").path, "--stdout"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let generated = String(decoding: data, as: UTF8.self)
        #expect(generated == (try Fixtures.text(Self.corpusFile)),
                "regenerate with: python3 Tests/Fixtures/control-plane/gen_strict_json_corpus.py")
    }
}
