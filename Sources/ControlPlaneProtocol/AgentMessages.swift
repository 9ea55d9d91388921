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

    public static func failed(commandId: String, error: String) -> Message {
        Message(type: "failed", payload: .object(["commandId": .string(commandId), "error": .string(error)]))
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

    /// Reads a `command` message's payload. A payload without a string commandId cannot even be
    /// answered; anything else wrong is answered with `failed` by the executor.
    public static func parse(_ payload: JSONValue) -> Result<Command, Message.DecodeError> {
        guard case .string(let commandId)? = payload["commandId"], !commandId.isEmpty else {
            return .failure(.shape("a command needs a string \"commandId\""))
        }
        let action = payload["action"]?.stringValue ?? ""
        return .success(Command(commandId: commandId, action: action, payload: payload["payload"] ?? .object([:])))
    }

    public var json: JSONValue {
        .object(["commandId": .string(commandId), "action": .string(action), "payload": payload])
    }
}
