@testable import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// The field table (`PayloadField.all`) against the decoders that read through it: every row,
/// given a value of each wrong type, is refused with an error that names the row's field and
/// the type it expects — never read with a default. The docs are the table, rendered.
@Suite struct PayloadFieldsTests {
    /// A payload that decodes, for each context; every row's field is present in it.
    static func base(_ context: PayloadField.Context) throws -> JSONValue {
        switch context {
        case .message:
            return .object(["type": .string("command"), "timestamp": .string("2025-12-04T13:11:05.123456789-07:00"), "payload": .object([:])])
        case .command:
            return .object(["commandId": .string("cmd-1"), "action": .string("stop_session"), "payload": .object([:])])
        case .startSession:
            let fixture = try StrictJSON.parse(try Fixtures.text("start_session/firefox-crd-top-level-resources.json"))
            return try #require(fixture["message"]?["payload"]?["payload"])
        case .stopSession:
            return .object(["sessionId": .string("alice-firefox-1a2b3c4d"), "namespace": .string("streamspace"), "deletePVC": .bool(true)])
        case .hibernateSession, .wakeSession:
            return .object(["sessionId": .string("alice-firefox-1a2b3c4d"), "namespace": .string("streamspace")])
        case .logsRequest:
            return .object(["requestId": .string("r-1"), "sessionId": .string("alice-firefox-1a2b3c4d"), "follow": .bool(true),
                            "tailLines": .int(10), "sinceTime": .string("2025-12-04T13:11:05Z")])
        case .logsCancel:
            return .object(["requestId": .string("r-1")])
        case .vncData:
            return .object(["sessionId": .string("alice-firefox-1a2b3c4d"), "data": .string("RFB 003.008\n")])
        case .vncClose:
            return .object(["sessionId": .string("alice-firefox-1a2b3c4d"), "reason": .string("client_disconnect")])
        case .tunnelOpen:
            return .object(["streamId": .int(7), "sessionId": .string("alice-firefox-1a2b3c4d"), "port": .int(3000), "window": .int(262_144)])
        case .tunnelOpened:
            return .object(["streamId": .int(7), "window": .int(262_144)])
        case .tunnelWindow:
            return .object(["streamId": .int(7), "bytes": .int(65_536)])
        case .tunnelEnd:
            return .object(["streamId": .int(7)])
        case .tunnelReset:
            return .object(["streamId": .int(7), "error": .string("connection refused")])
        }
    }

    /// Decodes a payload as the agent does in that context; the error text when it refuses it.
    static func refusal(_ payload: JSONValue, _ context: PayloadField.Context) -> String? {
        do {
            switch context {
            case .message:
                if case .failure(let error) = Message.decode(payload.jsonString()) { return error.description }
            case .command:
                if case .failure(let unreadable) = Command.parse(payload) { return unreadable.reason }
            case .startSession: _ = try CommandTranslation.sessionSpec(fromStart: payload)
            case .stopSession: _ = try CommandTranslation.stopRequest(payload)
            case .hibernateSession, .wakeSession: _ = try CommandTranslation.sessionID(payload, action: context.rawValue)
            case .logsRequest: _ = try CommandTranslation.logRequest(payload)
            case .logsCancel: _ = try CommandTranslation.logCancel(payload)
            case .vncData, .vncClose: _ = try VNCRelayMessage.parse(Message(type: context.rawValue, payload: payload))
            case .tunnelOpen, .tunnelOpened, .tunnelWindow, .tunnelEnd, .tunnelReset:
                _ = try TunnelMessage.parse(Message(type: context.rawValue, payload: payload))
            }
            return nil
        } catch {
            return error.message
        }
    }

    static func wrongValues(for kind: PayloadField.Kind) -> [JSONValue] {
        switch kind {
        case .string: [.int(7), .object([:]), .bool(true), .array([.string("a")])]
        case .boolean: [.string("yes"), .string("true"), .int(1)]
        case .integer: [.string("3000"), .double(3000.5), .bool(true), .object([:])]
        case .object: [.string("x"), .array([]), .int(1)]
        case .array: [.object([:]), .string("x")]
        }
    }

    /// Every (row, context, wrong value) the table implies.
    static let cases: [(PayloadField, PayloadField.Context, JSONValue)] = PayloadField.all.flatMap { field in
        field.contexts.flatMap { context in wrongValues(for: field.kind).map { (field, context, $0) } }
    }

    @Test(arguments: PayloadField.Context.allCases)
    func theBasePayloadOfEachContextDecodes(_ context: PayloadField.Context) throws {
        #expect(Self.refusal(try Self.base(context), context) == nil)
    }

    @Test(arguments: cases)
    func aFieldOfTheWrongTypeIsRefusedNamingItAndTheTypeExpected(_ field: PayloadField, _ context: PayloadField.Context, _ wrong: JSONValue) throws {
        let payload = try Self.base(context).setting(path: field.path, to: wrong)
        let concrete = field.path.replacingOccurrences(of: "[]", with: "[0]")
        let refusal = try #require(Self.refusal(payload, context), "\(context.root).\(concrete) = \(wrong.jsonString()) was accepted")
        #expect(refusal.hasPrefix("\(context.root).\(concrete): expected \(field.expected), got "), "\(refusal)")
    }

    /// A required field that is absent or null is refused too (null counts as absent).
    @Test(arguments: PayloadField.all.filter(\.required).flatMap { field in field.contexts.map { (field, $0) } })
    func aRequiredFieldThatIsMissingOrNullIsRefused(_ field: PayloadField, _ context: PayloadField.Context) throws {
        for missing in [nil, JSONValue.null] {
            let payload = try Self.base(context).setting(path: field.path, to: missing)
            let refusal = try #require(Self.refusal(payload, context), "\(field) \(missing == nil ? "absent" : "null") was accepted")
            #expect(refusal.hasPrefix("\(context.root).\(field.path.replacingOccurrences(of: "[]", with: "[0]")): expected \(field.expected), but it is "), "\(refusal)")
        }
    }

    /// An optional field that is null reads as absent: Go writes nil maps and slices as null.
    @Test(arguments: PayloadField.all.filter { !$0.required && !$0.isElement }.flatMap { field in field.contexts.map { (field, $0) } })
    func anOptionalFieldThatIsNullReadsAsAbsent(_ field: PayloadField, _ context: PayloadField.Context) throws {
        let payload = try Self.base(context).setting(path: field.path, to: .null)
        let absent = try Self.base(context).setting(path: field.path, to: nil)
        #expect(Self.refusal(payload, context) == Self.refusal(absent, context), "\(field)")
    }

    @Test func everyPathIsUniqueInItsContexts() {
        for context in PayloadField.Context.allCases {
            let paths = PayloadField.fields(in: context).map(\.path)
            #expect(Set(paths).count == paths.count, "\(context)")
        }
    }

    /// Docs/command-payloads.md holds the table between its markers, exactly as rendered.
    @Test func theDocsShowTheTable() throws {
        let url = Fixtures.packageRoot.appendingPathComponent("Docs/command-payloads.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- fields:begin (generated from PayloadField.all; a test keeps it current) -->\n"
        let end = "<!-- fields:end -->"
        let start = try #require(text.range(of: begin), "no begin marker")
        let stop = try #require(text.range(of: end, range: start.upperBound..<text.endIndex), "no end marker")
        let current = String(text[start.upperBound..<stop.lowerBound])
        if current != PayloadField.markdown(), ProcessInfo.processInfo.environment["STREAMSPACE_WRITE_DOCS"] == "1" {
            try (String(text[..<start.upperBound]) + PayloadField.markdown() + String(text[stop.lowerBound...])).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(current == PayloadField.markdown(), "Docs/command-payloads.md is stale: run STREAMSPACE_WRITE_DOCS=1 swift test --filter theDocsShowTheTable")
    }
}

extension JSONValue {
    /// This value with the member at a table path (`a.b[].c`: `[]` is element 0) set, or removed
    /// when `value` is nil. Missing objects on the way are created.
    func setting(path: String, to value: JSONValue?) throws -> JSONValue {
        var steps: [(key: String, element: Bool)] = path.split(separator: ".").map { part in
            part.hasSuffix("[]") ? (String(part.dropLast(2)), true) : (String(part), false)
        }
        return try setting(&steps[...], value)
    }

    private func setting(_ steps: inout ArraySlice<(key: String, element: Bool)>, _ value: JSONValue?) throws -> JSONValue {
        guard let step = steps.popFirst() else { return value ?? .null }
        var members = objectValue ?? [:]
        if step.element {
            var elements = members[step.key]?.arrayValue ?? []
            try #require(!elements.isEmpty || steps.isEmpty, "\(step.key) has no element 0 to set a member of")
            if steps.isEmpty {
                if let value { elements[0] = value } else { elements.removeFirst() }
            } else {
                elements[0] = try elements[0].setting(&steps, value)
            }
            members[step.key] = .array(elements)
        } else if steps.isEmpty {
            members[step.key] = value
        } else {
            members[step.key] = try (members[step.key] ?? .object([:])).setting(&steps, value)
        }
        return .object(members)
    }
}
