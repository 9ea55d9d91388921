import DriverModel

/// What the agent sends, built with the exact JSON types the real server's Go structs expect
/// (integers as integers, quantities as strings, objects as objects).
public enum AgentMessage {
    public struct Capacity: Sendable, Equatable {
        public var maxSessions: Int
        public var cpu: String
        public var memory: String
        public var storage: String?

        public init(maxSessions: Int, cpu: String, memory: String, storage: String? = nil) {
            self.maxSessions = maxSessions
            self.cpu = cpu
            self.memory = memory
            self.storage = storage
        }

        public var json: JSONValue {
            var members: [String: JSONValue] = [
                "maxSessions": .int(Int64(maxSessions)), "cpu": .string(cpu), "memory": .string(memory),
            ]
            if let storage { members["storage"] = .string(storage) }
            return .object(members)
        }
    }

    public static func heartbeat(activeSessions: Int, capacity: Capacity) -> Message {
        Message(type: "heartbeat", payload: .object([
            "status": .string("online"),
            "activeSessions": .int(Int64(activeSessions)),
            "capacity": capacity.json,
        ]))
    }

    public static func ack(commandId: String) -> Message {
        Message(type: "ack", payload: .object(["commandId": .string(commandId)]))
    }

    /// The only message that changes a session's state on the server. States the server takes:
    /// running, hibernated, terminated, failed.
    public static func status(sessionId: String, state: String, vncReady: Bool, vncPort: Int,
                              platformMetadata: [String: JSONValue]) -> Message {
        Message(type: "status", payload: .object([
            "sessionId": .string(sessionId),
            "state": .string(state),
            "vncReady": .bool(vncReady),
            "vncPort": .int(Int64(vncPort)),
            "platformMetadata": .object(platformMetadata),
        ]))
    }

    public static func complete(commandId: String, result: [String: JSONValue]) -> Message {
        Message(type: "complete", payload: .object(["commandId": .string(commandId), "result": .object(result)]))
    }

    /// `error` is cut at `TextCut.maxReplyTextBytes`: a person reads it, and a reply must fit a frame.
    public static func failed(commandId: String, error: String) -> Message {
        Message(type: "failed", payload: .object([
            "commandId": .string(commandId), "error": .string(TextCut.cut(error, maxBytes: TextCut.maxReplyTextBytes)),
        ]))
    }
}

/// A command from the server: `{"commandId", "action", "payload"}`.
public struct Command: Sendable, Equatable {
    public var commandId: String
    public var action: String
    public var payload: JSONValue

    public init(commandId: String, action: String, payload: JSONValue) {
        self.commandId = commandId
        self.action = action
        self.payload = payload
    }

    public static let actions = ["start_session", "stop_session", "hibernate_session", "wake_session"]

    /// Why a `command` could not be run as sent, and its id when that much could be read (then
    /// it is answered `failed` with the reason; without an id it cannot be answered at all).
    public struct Unreadable: Error, Sendable, Equatable {
        public var commandId: String?
        public var reason: String

        public init(commandId: String?, reason: String) {
            self.commandId = commandId
            self.reason = reason
        }
    }

    /// Reads a `command` message's payload by the rows of `PayloadField.Context.command`.
    public static func parse(_ payload: JSONValue) -> Result<Command, Unreadable> {
        let commandId = payload["commandId"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        do throws(DriverError) {
            let fields = try FieldReader(payload, .command)
            let id = try fields.nonEmptyString(.commandId)
            let action = try fields.string(.action)!
            let inner = try fields.value(.commandPayload) ?? .object([:])
            return .success(Command(commandId: id, action: action, payload: inner))
        } catch {
            return .failure(Unreadable(commandId: commandId, reason: error.message))
        }
    }

    public var json: JSONValue {
        .object(["commandId": .string(commandId), "action": .string(action), "payload": payload])
    }
}
