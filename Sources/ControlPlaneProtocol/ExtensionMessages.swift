import DriverModel
import FoundationEssentials

/// The messages of our extension (protocol file, section 7). The real server ignores them
/// today; they are held to the same Go type rules as the rest (GoTypes.agentPayloads).
extension AgentMessage {
    /// Node figures, every session's use, and the health of agent and driver — in as many
    /// frames as the 512 KiB limit needs (10,000 sessions do not fit one): each part carries
    /// the node and health, its share of the sessions, its 1-based `part` and the `parts`.
    public static func metrics(node: NodeMetrics, sessions: [SessionMetrics], health: Health) -> [Message] {
        let nodeJSON: JSONValue = .object([
            "cpuCores": .double(node.cpuCores), "cpuUsedCores": .double(node.cpuUsedCores),
            "memoryBytes": .int(node.memoryBytes), "memoryUsedBytes": .int(node.memoryUsedBytes),
            "diskBytes": .int(node.diskBytes), "diskUsedBytes": .int(node.diskUsedBytes),
        ])
        let healthJSON: JSONValue = .object(["status": .string(health.status.rawValue), "detail": .string(health.detail ?? "")])
        let entries: [JSONValue] = sessions.map { session in
            .object(["sessionId": .string(session.sessionId), "cpuUsedCores": .double(session.cpuUsedCores),
                     "memoryBytes": .int(session.memoryBytes), "memoryUsedBytes": .int(session.memoryUsedBytes)])
        }
        let groups = framed(entries)
        return groups.enumerated().map { index, group in
            Message(type: "metrics", payload: .object([
                "node": nodeJSON, "health": healthJSON, "sessions": .array(group),
                "part": .int(Int64(index + 1)), "parts": .int(Int64(groups.count)),
            ]))
        }
    }

    /// Splits entries into groups that each fit one frame with room for the envelope.
    static func framed(_ entries: [JSONValue]) -> [[JSONValue]] {
        let budget = Message.maxFrameBytes - 4096
        var groups: [[JSONValue]] = [[]]
        var size = 0
        for entry in entries {
            let bytes = entry.jsonString().utf8.count + 1
            if size + bytes > budget, !groups[groups.count - 1].isEmpty {
                groups.append([])
                size = 0
            }
            groups[groups.count - 1].append(entry)
            size += bytes
        }
        return groups
    }

    /// The full list of sessions, in as many frames as the 512 KiB limit needs: every part
    /// carries the revision, its 1-based `part` and the number of `parts`; a receiver has the
    /// whole list once it holds every part of one revision.
    public static func sessionSync(revision: Int, sessions: [SessionStatus]) -> [Message] {
        let groups = framed(sessions.map(syncEntry))
        return groups.enumerated().map { index, group in
            Message(type: "session_sync", payload: .object([
                "revision": .int(Int64(revision)), "part": .int(Int64(index + 1)), "parts": .int(Int64(groups.count)),
                "sessions": .array(group),
            ]))
        }
    }

    static func syncEntry(_ status: SessionStatus) -> JSONValue {
        var metadata = CommandTranslation.platformMetadata(status)
        metadata.removeValue(forKey: "endpoints")  // they have their own member here
        return .object([
            "sessionId": .string(status.sessionId),
            "state": .string(status.state.rawValue),
            "endpoints": .array(status.endpoints.map { endpoint in
                .object(["name": .string(endpoint.name), "url": .string(endpoint.url ?? "")])
            }),
            "platformMetadata": .object(metadata),
        ])
    }

    /// One piece of a log stream: text when the bytes are UTF-8, base64 otherwise.
    public static func logChunk(requestId: String, sessionId: String, seq: Int, data: String, encoding: String) -> Message {
        Message(type: "log_chunk", payload: .object([
            "requestId": .string(requestId), "sessionId": .string(sessionId), "seq": .int(Int64(seq)),
            "data": .string(data), "encoding": .string(encoding),
        ]))
    }

    /// A chunk's `data` and `encoding`: the text when the bytes are UTF-8, else base64.
    public static func logChunkData(_ bytes: ArraySlice<UInt8>) -> (data: String, encoding: String) {
        if let text = String(validating: bytes, as: UTF8.self) { return (text, "utf8") }
        return (Data(bytes).base64EncodedString(), "base64")
    }

    /// Exactly one per stream. reason: completed, cancelled, or error (with `error`).
    public static func logEnd(requestId: String, reason: String, error: String? = nil) -> Message {
        var payload: [String: JSONValue] = ["requestId": .string(requestId), "reason": .string(reason)]
        if let error { payload["error"] = .string(error) }
        return Message(type: "log_end", payload: .object(payload))
    }
}
