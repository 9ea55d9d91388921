@testable import ControlPlaneProtocol
import DriverModel
import Testing

/// The Go structs' type rules: a payload passes exactly when the real server would decode it.
@Suite struct GoTypesTests {
    /// A correct payload for every agent message type, as the real server's structs want them.
    static let correct: [String: String] = [
        "heartbeat": #"{"status":"online","activeSessions":3,"capacity":{"maxSessions":10,"cpu":"8","memory":"16Gi","storage":"100Gi"}}"#,
        "ack": #"{"commandId":"cmd-1"}"#,
        "status": #"{"sessionId":"alice-firefox-1a2b3c4d","state":"running","vncReady":true,"vncPort":3000,"platformMetadata":{"containerId":"3f2a","endpoints":[{"name":"vnc","port":3000}]}}"#,
        "complete": #"{"commandId":"cmd-1","result":{"sessionId":"alice-firefox-1a2b3c4d","state":"running"}}"#,
        "failed": #"{"commandId":"cmd-1","error":"image not found"}"#,
        "metrics": #"{"node":{"cpuCores":8,"cpuUsedCores":1.25,"memoryBytes":17179869184,"memoryUsedBytes":4294967296,"diskBytes":1,"diskUsedBytes":0},"sessions":[{"sessionId":"s-1","cpuUsedCores":0.5,"memoryBytes":2147483648,"memoryUsedBytes":1073741824}],"health":{"status":"healthy","detail":"ok"}}"#,
        "session_sync": #"{"revision":4,"sessions":[{"sessionId":"s-1","state":"running","endpoints":[{"name":"vnc","url":"http://h:1"}],"platformMetadata":{"a":1}}]}"#,
        "log_chunk": #"{"requestId":"r-1","sessionId":"s-1","seq":0,"data":"aGVsbG8=","encoding":"base64"}"#,
        "log_end": #"{"requestId":"r-1","reason":"eof","error":"none"}"#,
        "vnc_ready": #"{"sessionId":"s-1","vncPort":3000,"podName":"ss-s-1"}"#,
        "vnc_data": #"{"sessionId":"s-1","data":"UkZCIDAwMy4wMDgK"}"#,
        "vnc_error": #"{"sessionId":"s-1","error":"connection refused"}"#,
        "tunnel_opened": #"{"streamId":7,"window":262144}"#,
        "tunnel_window": #"{"streamId":7,"bytes":65536}"#,
        "tunnel_end": #"{"streamId":7}"#,
        "tunnel_reset": #"{"streamId":7,"error":"refused"}"#,
    ]

    @Test func everyAgentMessageTypeHasACorrectExample() {
        #expect(Set(Self.correct.keys) == Set(GoTypes.agentPayloads.keys))
    }

    @Test(arguments: correct.keys.sorted())
    func aCorrectPayloadPasses(_ type: String) throws {
        #expect(GoTypes.mismatch(type: type, payload: try StrictJSON.parse(Self.correct[type]!)) == nil)
    }

    /// One field replaced by a value of the wrong JSON type; the message must name the field.
    struct WrongField: Sendable, CustomTestStringConvertible {
        var type: String
        /// Path of keys and array indexes from the payload to the field.
        var path: [String]
        var value: String
        /// How the mismatch names the field, e.g. "payload.capacity.maxSessions".
        var named: String
        var testDescription: String { "\(type) \(named) = \(value)" }
    }

    static let wrongFields: [WrongField] = [
        // heartbeat
        .init(type: "heartbeat", path: ["status"], value: "1", named: "payload.status"),
        .init(type: "heartbeat", path: ["activeSessions"], value: "1.0", named: "payload.activeSessions"),
        .init(type: "heartbeat", path: ["activeSessions"], value: "1e0", named: "payload.activeSessions"),
        .init(type: "heartbeat", path: ["activeSessions"], value: #""3""#, named: "payload.activeSessions"),
        .init(type: "heartbeat", path: ["activeSessions"], value: "true", named: "payload.activeSessions"),
        .init(type: "heartbeat", path: ["activeSessions"], value: "9223372036854775808", named: "payload.activeSessions"),
        .init(type: "heartbeat", path: ["capacity"], value: #""10""#, named: "payload.capacity"),
        .init(type: "heartbeat", path: ["capacity"], value: "[]", named: "payload.capacity"),
        .init(type: "heartbeat", path: ["capacity", "maxSessions"], value: "10.5", named: "payload.capacity.maxSessions"),
        .init(type: "heartbeat", path: ["capacity", "maxSessions"], value: #""10""#, named: "payload.capacity.maxSessions"),
        .init(type: "heartbeat", path: ["capacity", "cpu"], value: "8", named: "payload.capacity.cpu"),
        .init(type: "heartbeat", path: ["capacity", "memory"], value: "17179869184", named: "payload.capacity.memory"),
        .init(type: "heartbeat", path: ["capacity", "storage"], value: "false", named: "payload.capacity.storage"),
        // ack
        .init(type: "ack", path: ["commandId"], value: "17", named: "payload.commandId"),
        .init(type: "ack", path: ["commandId"], value: #"["cmd-1"]"#, named: "payload.commandId"),
        // status
        .init(type: "status", path: ["sessionId"], value: "1", named: "payload.sessionId"),
        .init(type: "status", path: ["state"], value: "{}", named: "payload.state"),
        .init(type: "status", path: ["vncReady"], value: #""true""#, named: "payload.vncReady"),
        .init(type: "status", path: ["vncReady"], value: "1", named: "payload.vncReady"),
        .init(type: "status", path: ["vncPort"], value: #""5900""#, named: "payload.vncPort"),
        .init(type: "status", path: ["vncPort"], value: "5900.0", named: "payload.vncPort"),
        .init(type: "status", path: ["platformMetadata"], value: "[]", named: "payload.platformMetadata"),
        .init(type: "status", path: ["platformMetadata"], value: #""pod-1""#, named: "payload.platformMetadata"),
        .init(type: "status", path: ["platformMetadata"], value: "0", named: "payload.platformMetadata"),
        // complete
        .init(type: "complete", path: ["commandId"], value: "1", named: "payload.commandId"),
        .init(type: "complete", path: ["result"], value: #""x""#, named: "payload.result"),
        .init(type: "complete", path: ["result"], value: "[]", named: "payload.result"),
        .init(type: "complete", path: ["result"], value: "true", named: "payload.result"),
        // failed
        .init(type: "failed", path: ["commandId"], value: "false", named: "payload.commandId"),
        .init(type: "failed", path: ["error"], value: #"{"message":"x"}"#, named: "payload.error"),
        // metrics (our extension)
        .init(type: "metrics", path: ["node", "cpuCores"], value: #""8""#, named: "payload.node.cpuCores"),
        .init(type: "metrics", path: ["node", "memoryBytes"], value: "1.5", named: "payload.node.memoryBytes"),
        .init(type: "metrics", path: ["node", "diskUsedBytes"], value: "1e3", named: "payload.node.diskUsedBytes"),
        .init(type: "metrics", path: ["sessions"], value: "{}", named: "payload.sessions"),
        .init(type: "metrics", path: ["sessions", "0", "memoryBytes"], value: #""1""#, named: "payload.sessions[0].memoryBytes"),
        .init(type: "metrics", path: ["sessions", "0"], value: "7", named: "payload.sessions[0]"),
        .init(type: "metrics", path: ["health", "status"], value: "1", named: "payload.health.status"),
        // session_sync (our extension)
        .init(type: "session_sync", path: ["revision"], value: "1.5", named: "payload.revision"),
        .init(type: "session_sync", path: ["sessions", "0", "endpoints", "0", "url"], value: "1", named: "payload.sessions[0].endpoints[0].url"),
        .init(type: "session_sync", path: ["sessions", "0", "platformMetadata"], value: "[]", named: "payload.sessions[0].platformMetadata"),
        // logs (our extension)
        .init(type: "log_chunk", path: ["seq"], value: #""0""#, named: "payload.seq"),
        .init(type: "log_chunk", path: ["data"], value: "[104,105]", named: "payload.data"),
        .init(type: "log_end", path: ["error"], value: "{}", named: "payload.error"),
    ]

    static func replacing(_ value: JSONValue, at path: ArraySlice<String>, with replacement: JSONValue) -> JSONValue {
        guard let key = path.first else { return replacement }
        switch value {
        case .object(var members):
            members[key] = replacing(members[key] ?? .null, at: path.dropFirst(), with: replacement)
            return .object(members)
        case .array(var items):
            let index = Int(key)!
            items[index] = replacing(items[index], at: path.dropFirst(), with: replacement)
            return .array(items)
        default:
            return value
        }
    }

    @Test(arguments: wrongFields)
    func aFieldOfTheWrongJSONTypeIsAMismatchNamingIt(_ wrong: WrongField) throws {
        let payload = Self.replacing(try StrictJSON.parse(Self.correct[wrong.type]!), at: wrong.path[...],
                                     with: try StrictJSON.parse(wrong.value))
        let problem = try #require(GoTypes.mismatch(type: wrong.type, payload: payload))
        #expect(problem.hasPrefix("json: cannot unmarshal "), "\(problem)")
        #expect(problem.contains(" into \(wrong.named) of type "), "\(problem)")
    }

    @Test(arguments: [
        ("heartbeat", ["activeSessions"], "1.0", "json: cannot unmarshal number into payload.activeSessions of type int"),
        ("status", ["vncPort"], #""5900""#, "json: cannot unmarshal string into payload.vncPort of type int"),
        ("status", ["platformMetadata"], "[]", "json: cannot unmarshal array into payload.platformMetadata of type object"),
        ("status", ["vncReady"], "1", "json: cannot unmarshal number into payload.vncReady of type bool"),
        ("complete", ["result"], #""x""#, "json: cannot unmarshal string into payload.result of type object"),
        ("metrics", ["node", "cpuCores"], #""8""#, "json: cannot unmarshal string into payload.node.cpuCores of type float64"),
        ("metrics", ["sessions"], "{}", "json: cannot unmarshal object into payload.sessions of type array"),
    ])
    func mismatchMessagesReadLikeGos(_ type: String, _ path: [String], _ value: String, _ expected: String) throws {
        let payload = Self.replacing(try StrictJSON.parse(Self.correct[type]!), at: path[...], with: try StrictJSON.parse(value))
        #expect(GoTypes.mismatch(type: type, payload: payload) == expected)
    }

    @Test(arguments: [
        ("status", ["platformMetadata"]), ("complete", ["result"]), ("heartbeat", ["activeSessions"]),
        ("heartbeat", ["capacity"]), ("status", ["vncPort"]), ("status", ["vncReady"]), ("failed", ["error"]),
        ("metrics", ["sessions"]), ("session_sync", ["sessions", "0", "platformMetadata"]),
    ])
    func nullIsAcceptedForAnyField(_ type: String, _ path: [String]) throws {
        let payload = Self.replacing(try StrictJSON.parse(Self.correct[type]!), at: path[...], with: .null)
        #expect(GoTypes.mismatch(type: type, payload: payload) == nil)
    }

    @Test(arguments: correct.keys.sorted())
    func missingFieldsAreAccepted(_ type: String) {
        #expect(GoTypes.mismatch(type: type, payload: .object([:])) == nil)
        #expect(GoTypes.mismatch(type: type, payload: .null) == nil)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let payload = try StrictJSON.parse(#"{"status":"online","activeSessions":1,"extra":[1,"x",{}],"capacity":{"maxSessions":1,"gpus":"2","cpu":"1","memory":"1Gi"}}"#)
        #expect(GoTypes.mismatch(type: "heartbeat", payload: payload) == nil)
    }

    @Test func integersAreAcceptedWhereGoWantsAFloat() throws {
        let payload = try StrictJSON.parse(#"{"node":{"cpuCores":8,"cpuUsedCores":0},"sessions":[{"cpuUsedCores":1}]}"#)
        #expect(GoTypes.mismatch(type: "metrics", payload: payload) == nil)
    }

    @Test(arguments: ["[]", #""x""#, "1"])
    func aPayloadThatIsNotAnObjectIsAMismatch(_ text: String) throws {
        let problem = GoTypes.mismatch(type: "heartbeat", payload: try StrictJSON.parse(text))
        #expect(problem?.contains("into payload of type object") == true, "\(problem ?? "nil")")
    }

    @Test(arguments: ["vnc_close", "tunnel_open", "register", "made_up"])
    func messageTypesWithoutRulesAlwaysPass(_ type: String) {
        #expect(GoTypes.mismatch(type: type, payload: .array([.int(1)])) == nil)
        #expect(GoTypes.mismatch(type: type, payload: .object(["activeSessions": .string("x")])) == nil)
    }

    @Test func theFirstMismatchIsReportedInFieldNameOrder() throws {
        let payload = try StrictJSON.parse(#"{"vncPort":"1","sessionId":2,"state":3}"#)
        #expect(GoTypes.mismatch(type: "status", payload: payload) == "json: cannot unmarshal number into payload.sessionId of type string")
    }

    /// Go's encoding/json (v1) matches object keys to struct fields case-insensitively
    /// ("ActiveSessions" fills activeSessions), so a wrongly typed value under another casing
    /// also makes the server drop the message. GoTypes only looks at the exact name.
    @Test(arguments: [
        ("heartbeat", #"{"ActiveSessions":"3"}"#),
        ("status", #"{"VNCPORT":"5900"}"#),
        ("status", #"{"platformmetadata":[]}"#),
    ])
    func keysMatchFieldsCaseInsensitivelyLikeGo(_ type: String, _ text: String) throws {
        let payload = try StrictJSON.parse(text)
        #expect(GoTypes.mismatch(type: type, payload: payload) != nil)
    }

    // MARK: - What the agent builds never mismatches

    @Test func everyBuilderProducesPayloadsGoAccepts() throws {
        var generator = SeededGenerator(seed: 2025)
        let counts = [0, 1, 7, 100, Int(Int32.max), Int.max, -1]
        var checked = 0
        for _ in 0..<400 {
            let count = counts.randomElement(using: &generator)!
            let text = generator.string()
            let storage: String? = Bool.random(using: &generator) ? text : nil
            let capacity = AgentMessage.Capacity(maxSessions: counts.randomElement(using: &generator)!,
                                                 cpu: generator.string(), memory: generator.string(), storage: storage)
            var metadata: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) { metadata[generator.string()] = generator.jsonValue() }
            let messages = [
                AgentMessage.heartbeat(activeSessions: count, capacity: capacity),
                AgentMessage.ack(commandId: text),
                AgentMessage.status(sessionId: text, state: ["running", "hibernated", "terminated", "failed"].randomElement(using: &generator)!,
                                    vncReady: Bool.random(using: &generator), vncPort: count, platformMetadata: metadata),
                AgentMessage.complete(commandId: text, result: metadata),
                AgentMessage.failed(commandId: text, error: generator.string()),
            ]
            for message in messages {
                #expect(GoTypes.mismatch(type: message.type, payload: message.payload) == nil, "\(message)")
                // And after the trip over the wire.
                let decoded = try Message.decode(message.encoded()).get()
                #expect(GoTypes.mismatch(type: decoded.type, payload: decoded.payload) == nil, "\(decoded)")
                checked += 1
            }
        }
        #expect(checked == 2000)
    }

    @Test func buildersWriteTheDocumentedShapes() {
        let capacity = AgentMessage.Capacity(maxSessions: 10, cpu: "8", memory: "16Gi")
        #expect(capacity.json == .object(["maxSessions": .int(10), "cpu": .string("8"), "memory": .string("16Gi")]))
        let withStorage = AgentMessage.Capacity(maxSessions: 1, cpu: "1", memory: "1Gi", storage: "50Gi")
        #expect(withStorage.json["storage"] == .string("50Gi"))

        let heartbeat = AgentMessage.heartbeat(activeSessions: 3, capacity: capacity)
        #expect(heartbeat.type == "heartbeat")
        #expect(heartbeat.payload == .object(["status": .string("online"), "activeSessions": .int(3), "capacity": capacity.json]))
        #expect(AgentMessage.ack(commandId: "c").payload == .object(["commandId": .string("c")]))
        #expect(AgentMessage.status(sessionId: "s", state: "running", vncReady: true, vncPort: 3000, platformMetadata: [:]).payload
                == .object(["sessionId": .string("s"), "state": .string("running"), "vncReady": .bool(true),
                            "vncPort": .int(3000), "platformMetadata": .object([:])]))
        #expect(AgentMessage.complete(commandId: "c", result: [:]).payload == .object(["commandId": .string("c"), "result": .object([:])]))
        #expect(AgentMessage.failed(commandId: "c", error: "e").payload == .object(["commandId": .string("c"), "error": .string("e")]))
        for message in [heartbeat, AgentMessage.ack(commandId: "c")] {
            #expect(message.timestamp.flatMap(RFC3339.parse) != nil)
        }
    }
}
