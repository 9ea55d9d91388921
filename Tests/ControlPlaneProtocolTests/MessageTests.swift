import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// `{"type","timestamp","payload"}`: how messages are written and read, and how frames split.
@Suite struct MessageTests {
    static let fixedTime = "2025-12-04T20:11:05.123456789Z"

    // MARK: - Encoding

    @Test func encodedIsOneObjectWithStringTypeRFC3339TimestampAndObjectPayload() throws {
        let text = Message(type: "heartbeat", payload: .object(["activeSessions": .int(2)])).encoded()
        let value = try StrictJSON.parse(text)
        let members = try #require(value.objectValue)
        #expect(Set(members.keys) == ["type", "timestamp", "payload"])
        #expect(members["type"] == .string("heartbeat"))
        let timestamp = try #require(members["timestamp"]?.stringValue)
        #expect(RFC3339.parse(timestamp) != nil)
        #expect(members["payload"] == .object(["activeSessions": .int(2)]))
    }

    @Test func encodedKeysAreSortedAtEveryLevelAndSlashesAreNotEscaped() {
        let message = Message(type: "status", timestamp: Self.fixedTime, payload: .object([
            "zeta": .int(1),
            "alpha": .object(["b": .int(1), "a": .array([.object(["y": .null, "x": .bool(true)])])]),
            "url": .string("http://203.0.113.7:49153/vnc/"),
        ]))
        #expect(message.encoded() == #"{"payload":{"alpha":{"a":[{"x":true,"y":null}],"b":1},"url":"http://203.0.113.7:49153/vnc/","zeta":1},"timestamp":"2025-12-04T20:11:05.123456789Z","type":"status"}"#)
    }

    @Test func aMessageWithoutTimestampOmitsTheField() {
        let message = Message(type: "ack", timestamp: nil, payload: .object(["commandId": .string("cmd-1")]))
        #expect(message.encoded() == #"{"payload":{"commandId":"cmd-1"},"type":"ack"}"#)
    }

    @Test func theDefaultTimestampIsNow() throws {
        let message = Message(type: "ack", payload: .object([:]))
        let timestamp = try #require(message.timestamp)
        let parsed = try #require(RFC3339.parse(timestamp))
        #expect(abs(parsed - Date().timeIntervalSince1970) < 5)
    }

    @Test func encodedIsASingleLineEvenWithNewlinesInStrings() throws {
        let message = Message(type: "failed", payload: .object(["error": .string("line 1\nline 2\r\n\u{2028}end")]))
        let text = message.encoded()
        #expect(!text.contains("\n") && !text.contains("\r"))
        #expect(Message.decodeFrame(text).count == 1)
        #expect(try StrictJSON.parse(text)["payload"]?["error"] == .string("line 1\nline 2\r\n\u{2028}end"))
    }

    /// The envelope is written by hand: it must be exactly what the generic encoder writes.
    @Test func theEnvelopeIsWhatTheGenericEncoderWrites() {
        var generator = SeededGenerator(seed: 11)
        for index in 0..<300 {
            let payload = JSONValue.object(["a": generator.jsonValue(), "b": generator.jsonValue()])
            let timestamp: String? = index % 3 == 0 ? nil : RFC3339.now()
            let message = Message(type: generator.string(), timestamp: timestamp, payload: payload)
            var members: [String: JSONValue] = ["type": .string(message.type), "payload": payload]
            if let timestamp { members["timestamp"] = .string(timestamp) }
            #expect(message.encodedBytes() == JSONValue.object(members).jsonBytes())
        }
    }

    @Test func encodeThenDecodeRoundTrips() throws {
        var generator = SeededGenerator(seed: 7)
        for index in 0..<300 {
            // Integral doubles excepted: JSON cannot say 3.0 apart from 3 once written (see below).
            var members: [String: JSONValue] = [:]
            for key in ["a", "b", "c", "d"] { members[key] = generator.jsonValue().withoutIntegralDoubles }
            let message = Message(type: "type-\(index)", timestamp: RFC3339.now(), payload: .object(members))
            #expect(try Message.decode(message.encoded()).get() == message)
        }
    }

    /// Strings are scanned eight bytes at a time: every character that needs an escape, at every
    /// offset in and across those words, next to multi-byte UTF-8, is written so that Foundation
    /// reads back the same string.
    @Test func everyEscapeAtEveryOffsetReadsBackThroughFoundation() throws {
        let specials: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{C}", "\u{0}", "\u{1B}", "\u{1F}", "\u{7F}", "é", "😀", "/"]
        for special in specials {
            for length in 0..<20 {
                for offset in 0...length {
                    var text = String(repeating: "a", count: length)
                    text.insert(special, at: text.index(text.startIndex, offsetBy: offset))
                    let bytes = JSONValue.array([.string(text)]).jsonBytes()
                    let read = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String]
                    #expect(read == [text], "\(special.unicodeScalars.map { $0.value }) at \(offset) of \(length)")
                    #expect(!bytes.contains(where: { $0 < 0x20 }), "no raw control byte is written")
                }
            }
        }
    }

    /// Written JSON does not keep `3.0` apart from `3`: harmless for Go (a float64 field takes
    /// either), but a double that happens to be integral is read back as an integer.
    @Test func anIntegralDoubleIsWrittenWithoutAFraction() throws {
        let text = Message(type: "metrics", timestamp: nil, payload: .object(["cpuCores": .double(3)])).encoded()
        #expect(text == #"{"payload":{"cpuCores":3},"type":"metrics"}"#)
        #expect(GoTypes.mismatch(type: "metrics", payload: try StrictJSON.parse(text)["payload"]!) == nil)
    }

    /// A non-finite number cannot be written as JSON. Today the encoder's error is swallowed by
    /// JSONValue.jsonString() and the whole frame becomes `null`: the message (type included)
    /// vanishes silently on the server.
    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func aNonFiniteNumberDoesNotTurnTheWholeMessageIntoNull(_ number: Double) throws {
        let message = Message(type: "metrics", timestamp: Self.fixedTime,
                              payload: .object(["node": .object(["cpuUsedCores": .double(number)])]))
        let text = message.encoded()
        let type = (try? StrictJSON.parse(text))?["type"]
        #expect(text != "null")
        #expect(type == .string("metrics"))
    }

    @Test func theLargestFrameIs512KiB() {
        #expect(Message.maxFrameBytes == 524_288)
    }

    // MARK: - Decoding

    @Test func decodeReadsAServerCommand() throws {
        let text = #"{"type":"command","timestamp":"2025-12-04T13:11:05.123456789-07:00","payload":{"commandId":"cmd-9","action":"stop_session","payload":{"sessionId":"alice-firefox-1a2b3c4d"}}}"#
        let message = try Message.decode(text).get()
        #expect(message.type == "command")
        #expect(message.timestamp == "2025-12-04T13:11:05.123456789-07:00")
        #expect(message.payload["commandId"] == .string("cmd-9"))
    }

    /// What Swift's JSONEncoder writes for a `Date` by default (seconds since 2001 as a number)
    /// makes the real server drop the message; decode refuses it the same way.
    @Test func aNumericTimestampIsRejected() throws {
        struct SwiftDefaultMessage: Encodable { var type = "heartbeat"; var timestamp = Date(); var payload = [String: Int]() }
        let swiftDefault = String(decoding: try JSONEncoder().encode(SwiftDefaultMessage()), as: UTF8.self)
        for text in [swiftDefault, #"{"type":"heartbeat","timestamp":786543210,"payload":{}}"#,
                     #"{"type":"heartbeat","timestamp":786543210.123,"payload":{}}"#] {
            guard case .failure(.shape(let reason)) = Message.decode(text) else {
                Issue.record("\(text) was accepted"); continue
            }
            #expect(reason.contains("timestamp") && reason.contains("RFC 3339"), "\(reason)")
        }
    }

    @Test(arguments: [#""yesterday""#, #""2025-12-04T13:11:05""#, #""2025-02-30T00:00:00Z""#, "true", "{}", "[]", #""""#])
    func aTimestampThatIsNotAnRFC3339StringIsRejected(_ timestamp: String) {
        let result = Message.decode(#"{"type":"ack","timestamp":\#(timestamp),"payload":{}}"#)
        guard case .failure(.shape(let reason)) = result else { Issue.record("accepted: \(result)"); return }
        #expect(reason.contains("timestamp"))
    }

    @Test(arguments: [#"{"type":"ack","payload":{}}"#, #"{"type":"ack","timestamp":null,"payload":{}}"#])
    func anAbsentOrNullTimestampIsAccepted(_ text: String) throws {
        #expect(try Message.decode(text).get().timestamp == nil)
    }

    @Test(arguments: ["[]", #""x""#, "1", "1.5", "true"])
    func aPayloadThatIsNotAnObjectIsRejected(_ payload: String) {
        let result = Message.decode(#"{"type":"command","payload":\#(payload)}"#)
        guard case .failure(.shape(let reason)) = result else { Issue.record("accepted: \(result)"); return }
        #expect(reason.hasPrefix("message.payload: expected an object, got "), "\(reason)")
    }

    @Test(arguments: [#"{"type":"ping"}"#, #"{"type":"ping","payload":null}"#])
    func anAbsentOrNullPayloadReadsAsAnEmptyObject(_ text: String) throws {
        #expect(try Message.decode(text).get().payload == .object([:]))
    }

    @Test(arguments: [#"{"payload":{}}"#, #"{"type":1,"payload":{}}"#, #"{"type":null,"payload":{}}"#,
                      #"{"type":{"name":"ack"},"payload":{}}"#, #"{"type":["ack"]}"#, #"{"Type":"ack"}"#])
    func aMissingOrNonStringTypeIsRejected(_ text: String) {
        guard case .failure(.shape(let reason)) = Message.decode(text) else { Issue.record("accepted: \(text)"); return }
        #expect(reason.hasPrefix("message.type: expected a string (the message type), "), "\(reason)")
    }

    @Test(arguments: ["[]", #""ack""#, "null", "42"])
    func aMessageMustBeAnObject(_ text: String) {
        guard case .failure(.shape(let reason)) = Message.decode(text) else { Issue.record("accepted: \(text)"); return }
        #expect(reason.hasPrefix("message: expected an object, got "), "\(reason)")
    }

    @Test(arguments: ["{", #"{"type":"ack"} {"type":"ack"}"#, #"{"type":"ack","payload":{"n":01}}"#, ""])
    func malformedJSONIsASyntaxError(_ text: String) {
        guard case .failure(.syntax(let reason)) = Message.decode(text) else {
            Issue.record("\(text) did not fail with a syntax error"); return
        }
        #expect(reason.hasPrefix("invalid JSON at byte "))
    }

    @Test func decodeAcceptsASubstring() throws {
        let frame = #"xx{"type":"ack","payload":{"commandId":"c"}}yy"#
        let slice = frame.dropFirst(2).dropLast(2)
        #expect(try Message.decode(slice).get().payload["commandId"] == .string("c"))
    }

    // MARK: - Frames

    @Test func aFrameWithSeveralMessagesIsSplitOnNewlinesInOrder() throws {
        let frame = """
        {"type":"command","payload":{"commandId":"cmd-1","action":"start_session","payload":{}}}
        {"type":"command","payload":{"commandId":"cmd-2","action":"stop_session","payload":{}}}
        {"type":"ping","timestamp":"2025-12-04T13:11:05.123456789-07:00"}
        """
        let messages = try Message.decodeFrame(frame).map { try $0.get() }
        #expect(messages.map(\.type) == ["command", "command", "ping"])
        #expect(messages.map { $0.payload["commandId"]?.stringValue } == ["cmd-1", "cmd-2", nil])
    }

    @Test func emptyAndBlankLinesAreSkipped() throws {
        let frame = "\n\n{\"type\":\"a\"}\n   \n\t\n{\"type\":\"b\"}\n\n"
        #expect(try Message.decodeFrame(frame).map { try $0.get().type } == ["a", "b"])
        #expect(Message.decodeFrame("").isEmpty)
        #expect(Message.decodeFrame("\n \n").isEmpty)
    }

    @Test func crlfSeparatedMessagesSplitToo() throws {
        let frame = "{\"type\":\"a\"}\r\n{\"type\":\"b\"}\r\n\r\n{\"type\":\"c\"}\r\n"
        #expect(try Message.decodeFrame(frame).map { try $0.get().type } == ["a", "b", "c"])
    }

    @Test func aBadMessageInABatchFailsAloneAtItsPlace() {
        let results = Message.decodeFrame("{\"type\":\"a\"}\n{\"type\":\n{\"type\":\"c\",\"payload\":[]}\n{\"type\":\"d\"}")
        #expect(results.count == 4)
        #expect((try? results[0].get().type) == "a")
        if case .failure(.syntax) = results[1] {} else { Issue.record("line 2: \(results[1])") }
        #expect(results[2] == .failure(.shape("message.payload: expected an object, got an array")))
        #expect((try? results[3].get().type) == "d")
    }

    @Test func aSingleMessageFrameIsOneResult() throws {
        let results = Message.decodeFrame(#"{"type":"ack","payload":{"commandId":"x"}}"#)
        #expect(results.count == 1)
        #expect(try results[0].get().payload == .object(["commandId": .string("x")]))
    }

    // MARK: - Commands

    @Test func commandParseReadsIdActionAndPayload() throws {
        let payload = try StrictJSON.parse(#"{"commandId":"cmd-1","action":"wake_session","payload":{"sessionId":"s-1"}}"#)
        let command = try Command.parse(payload).get()
        #expect(command == Command(commandId: "cmd-1", action: "wake_session", payload: .object(["sessionId": .string("s-1")])))
        #expect(command.json == payload)
    }

    @Test func commandParseTakesAMissingPayloadAsEmpty() throws {
        let command = try Command.parse(.object(["commandId": .string("cmd-2"), "action": .string("stop_session")])).get()
        #expect(command.payload == .object([:]))
        #expect(try Command.parse(.object(["commandId": .string("c"), "action": .string("x"), "payload": .null])).get().payload == .object([:]))
    }

    /// Whatever is wrong with a command whose id can be read, the id comes back with the reason,
    /// so that the command is answered `failed` instead of being dropped.
    @Test(arguments: [
        (JSONValue.object(["commandId": .string("cmd-2")]), "command.action: expected a string: start_session, stop_session, hibernate_session or wake_session, but it is missing"),
        (.object(["commandId": .string("c"), "action": .int(3)]), "command.action: expected a string: start_session, stop_session, hibernate_session or wake_session, got a number (3)"),
        (.object(["commandId": .string("c"), "action": .string("stop_session"), "payload": .array([])]), "command.payload: expected an object, got an array"),
    ])
    func aCommandWithAReadableIdIsAnsweredWithTheReason(_ payload: JSONValue, _ reason: String) {
        #expect(Command.parse(payload) == .failure(.init(commandId: payload["commandId"]?.stringValue, reason: reason)))
    }

    @Test(arguments: [JSONValue.object([:]), .object(["commandId": .string("")]), .object(["commandId": .int(1)]),
                      .object(["commandId": .null]), .array([]), .string("cmd-1")])
    func aCommandWithoutAStringCommandIdCannotBeAnswered(_ payload: JSONValue) {
        guard case .failure(let unreadable) = Command.parse(payload) else { Issue.record("accepted \(payload)"); return }
        #expect(unreadable.commandId == nil)
        #expect(unreadable.reason.hasPrefix("command"), "\(unreadable.reason)")
    }

    @Test func whatCanBeSalvagedOfAnUnreadableMessage() {
        let badTimestamp = #"{"type":"command","timestamp":"yesterday","payload":{"commandId":"cmd-7","action":"stop_session"}}"#
        guard case .failure = Message.decode(badTimestamp) else { Issue.record("accepted"); return }
        #expect(Message.salvage(Array(badTimestamp.utf8))! == ("command", "cmd-7"))
        #expect(Message.salvage(Array(#"{"type":7}"#.utf8))! == (nil, nil))
        #expect(Message.salvage(Array(#"{"type":"heartbeat","payload":{"commandId":"x"}}"#.utf8))! == ("heartbeat", nil))
        #expect(Message.salvage(Array(#"{"type":"command","payload":{"commandId":"cmd"#.utf8)) == nil)
    }

    @Test func theFourCommandActions() {
        #expect(Command.actions == ["start_session", "stop_session", "hibernate_session", "wake_session"])
    }
}

extension JSONValue {
    /// The same value with integral doubles nudged off the integer (they would read back as
    /// integers once written).
    var withoutIntegralDoubles: JSONValue {
        switch self {
        case .double(let number) where number.rounded() == number: .double(number + 0.5)
        case .array(let items): .array(items.map(\.withoutIntegralDoubles))
        case .object(let members): .object(members.mapValues(\.withoutIntegralDoubles))
        default: self
        }
    }
}
