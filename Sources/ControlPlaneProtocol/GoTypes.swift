import DriverModel

/// The type rules of the real server's Go structs for the messages agents send. Go's decoder
/// drops a whole message when one field has the wrong JSON type; the dev control plane uses
/// these rules to do the same, and the agent's tests use them to prove it never sends such a
/// message. Missing fields are allowed (Go leaves them zero); unknown fields are ignored.
public enum GoTypes {
    public indirect enum Kind: Sendable {
        case string, int, bool, number
        /// A Go map or struct pointer: an object or null.
        case objectOrNull
        case object([String: Kind])
        case arrayOf(Kind)
    }

    /// Payload rules by message type, as the server's structs declare them.
    public static let agentPayloads: [String: [String: Kind]] = [
        "heartbeat": ["status": .string, "activeSessions": .int,
                      "capacity": .object(["maxSessions": .int, "cpu": .string, "memory": .string, "storage": .string])],
        "ack": ["commandId": .string],
        "status": ["sessionId": .string, "state": .string, "vncReady": .bool, "vncPort": .int,
                   "platformMetadata": .objectOrNull],
        "complete": ["commandId": .string, "result": .objectOrNull],
        "failed": ["commandId": .string, "error": .string],
        // Our extension (section 7), held to the same standard.
        "metrics": ["node": .object(["cpuCores": .number, "cpuUsedCores": .number, "memoryBytes": .int,
                                     "memoryUsedBytes": .int, "diskBytes": .int, "diskUsedBytes": .int]),
                    "sessions": .arrayOf(.object(["sessionId": .string, "cpuUsedCores": .number,
                                                  "memoryBytes": .int, "memoryUsedBytes": .int])),
                    "health": .object(["status": .string, "detail": .string]), "part": .int, "parts": .int],
        "session_sync": ["revision": .int, "part": .int, "parts": .int,
                         "sessions": .arrayOf(.object(["sessionId": .string, "state": .string,
                                                       "endpoints": .arrayOf(.object(["name": .string, "url": .string])),
                                                       "platformMetadata": .objectOrNull]))],
        "log_chunk": ["requestId": .string, "sessionId": .string, "seq": .int, "data": .string, "encoding": .string],
        "log_end": ["requestId": .string, "reason": .string, "error": .string],
        // The stock server's VNC relay (section 8: models.VNCDataMessage and friends).
        "vnc_ready": ["sessionId": .string, "vncPort": .int, "podName": .string],
        "vnc_data": ["sessionId": .string, "data": .string],
        "vnc_error": ["sessionId": .string, "error": .string],
        // The session tunnel (our extension).
        "tunnel_opened": ["streamId": .int, "window": .int],
        "tunnel_window": ["streamId": .int, "bytes": .int],
        "tunnel_end": ["streamId": .int],
        "tunnel_reset": ["streamId": .int, "error": .string],
    ]

    /// The first type mismatch in `payload` for a message type, as Go would report it, or nil.
    public static func mismatch(type: String, payload: JSONValue) -> String? {
        guard let fields = agentPayloads[type] else { return nil }
        return mismatch(payload, .object(fields), path: "payload")
    }

    static func mismatch(_ value: JSONValue, _ kind: Kind, path: String) -> String? {
        // Go leaves a field zero for null, except that null is not an int/string/bool error.
        if value == .null { return nil }
        switch (kind, value) {
        case (.string, .string), (.int, .int), (.bool, .bool), (.number, .int), (.number, .double),
             (.objectOrNull, .object):
            return nil
        case (.object(let fields), .object(let members)):
            for (name, fieldKind) in fields.sorted(by: { $0.key < $1.key }) {
                // Go fills a field from the exact key, else from a key equal but for case.
                let member = members[name] ?? members.first { $0.key.lowercased() == name.lowercased() }?.value
                if let member, let problem = mismatch(member, fieldKind, path: "\(path).\(name)") {
                    return problem
                }
            }
            return nil
        case (.arrayOf(let element), .array(let items)):
            for (index, item) in items.enumerated() {
                if let problem = mismatch(item, element, path: "\(path)[\(index)]") { return problem }
            }
            return nil
        default:
            return "json: cannot unmarshal \(value.typeName == "integer" || value.typeName == "number" ? "number" : value.typeName) into \(path) of type \(goName(kind))"
        }
    }

    static func goName(_ kind: Kind) -> String {
        switch kind {
        case .string: "string"
        case .int: "int"
        case .bool: "bool"
        case .number: "float64"
        case .objectOrNull, .object: "object"
        case .arrayOf: "array"
        }
    }
}
