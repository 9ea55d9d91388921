import ControlPlaneProtocol
import DriverModel

/// A command to send: `{"commandId","action","payload"}` inside a `command` message.
public struct OutgoingCommand: Sendable, Equatable, Codable {
    public var action: String
    public var payload: JSONValue
    /// The session the command is about, for the command list.
    public var sessionId: String?

    public init(action: String, payload: JSONValue, sessionId: String? = nil) {
        self.action = action
        self.payload = payload
        self.sessionId = sessionId ?? payload["sessionId"]?.stringValue
    }
}

extension ControlPlaneStore {
    /// Sends commands in one go (queued together, so they share a frame when batching is on).
    /// Like the real server, nothing is queued for a disconnected agent: the commands are
    /// recorded as failed and the call throws.
    func send(_ outgoing: [OutgoingCommand], to agentId: String) throws(DevControlPlaneError) -> [String] {
        guard agents[agentId] != nil else { throw .unknownAgent(agentId) }
        let now = RFC3339.now()
        var records = outgoing.map { command in
            CommandRecord(commandId: RandomHex.commandID(), agentId: agentId, action: command.action,
                          payload: command.payload, sessionId: command.sessionId, state: .sent,
                          createdAt: now, updatedAt: now)
        }
        let messages = records.map(Self.commandMessage)
        let sent = liveConnection(agentId)?.enqueue(messages) ?? false
        if !sent {
            for index in records.indices {
                records[index].state = .failed
                records[index].error = "agent \(agentId) is not connected"
            }
        }
        for record in records { commands[record.commandId] = record }
        guard sent else {
            event("command-failed", agent: agentId, "\(records.map(\.action).joined(separator: ", ")): agent not connected")
            throw .agentNotConnected(agentId: agentId, commandId: records.first?.commandId)
        }
        return records.map(\.commandId)
    }

    /// Sends a recorded command again under its own id, and puts it back to `sent`. The real
    /// server re-sends under a new id; a replay of the same id is what an agent's memory of
    /// command ids (across reconnects and restarts) must withstand.
    func resend(_ commandId: String) throws(DevControlPlaneError) {
        guard var record = commands[commandId] else { throw .invalidRequest("no command \(commandId)") }
        guard liveConnection(record.agentId)?.enqueue([Self.commandMessage(record)]) == true else {
            throw .agentNotConnected(agentId: record.agentId, commandId: nil)
        }
        record.state = .sent
        record.result = nil
        record.error = nil
        record.updatedAt = RFC3339.now()
        commands[commandId] = record
        event("command-resent", agent: record.agentId, "\(record.action) \(commandId) sent again under the same id")
    }

    private static func commandMessage(_ record: CommandRecord) -> AgentConnection.Outbound {
        .message(Message(type: "command", payload: .object([
            "commandId": .string(record.commandId), "action": .string(record.action), "payload": record.payload,
        ])).encoded())
    }

    /// Sends text verbatim as one frame.
    /// `commandIds` are the ids of commands the frame carries (however malformed it is): they
    /// are recorded as sent, so the agent's answers to them are tracked like any command's.
    func sendRaw(_ frame: String, to agentId: String, commandIds: [String] = []) throws(DevControlPlaneError) {
        guard agents[agentId] != nil else { throw .unknownAgent(agentId) }
        let now = RFC3339.now()
        for id in commandIds {
            commands[id] = CommandRecord(commandId: id, agentId: agentId, action: "raw", payload: .object([:]),
                                         sessionId: nil, state: .sent, createdAt: now, updatedAt: now)
        }
        guard liveConnection(agentId)?.enqueue([.raw(frame)]) == true else {
            throw .agentNotConnected(agentId: agentId, commandId: commandIds.first)
        }
        event("raw-frame", agent: agentId, "sent a raw frame of \(frame.utf8.count) bytes")
    }

    /// Sends any message (`logs_request`, `logs_cancel`...) to an agent.
    func sendMessage(_ message: Message, to agentId: String) throws(DevControlPlaneError) {
        guard liveConnection(agentId)?.enqueue([.message(message.encoded())]) == true else {
            throw .agentNotConnected(agentId: agentId, commandId: nil)
        }
    }
}
