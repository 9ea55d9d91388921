import DriverModel

/// What the dev control plane knows, as plain values: the admin API serves them as JSON and
/// tests assert on them. Times are RFC 3339 strings.

public enum ApprovalStatus: String, Sendable, Codable, Equatable {
    case pending, approved, rejected
}

public struct AgentRecord: Sendable, Codable, Equatable {
    public var agentId: String
    public var platform: String
    public var region: String
    /// The capacity given at registration.
    public var capacity: JSONValue
    public var metadata: JSONValue
    public var approvalStatus: ApprovalStatus
    /// "online" while connected with a recent JSON heartbeat, else "offline".
    public var status: String
    public var connected: Bool
    /// WebSocket connections accepted for this agent so far.
    public var connections: Int
    /// From the last heartbeat.
    public var activeSessions: Int?
    public var heartbeatCapacity: JSONValue?
    public var lastHeartbeat: String?
    public var heartbeats: Int
    public var registeredAt: String
    public var registrations: Int
    /// Whether a per-agent API key was issued (the key itself is never shown).
    public var hasIssuedKey: Bool
    /// WebSocket ping control frames sent to the current connection.
    public var pingsSent: Int
    /// Ping and pong control frames received from the agent on the current connection.
    public var controlFramesReceived: Int
    public var lastDisconnectReason: String?
}

public struct SessionRecord: Sendable, Codable, Equatable {
    public var sessionId: String
    public var agentId: String
    public var user: String?
    public var template: String?
    public var namespace: String?
    /// pending, running, hibernating, hibernated, waking, terminating, terminated, failed.
    public var state: String
    public var vncReady: Bool
    public var vncPort: Int
    /// Set only when the agent reported vncReady with a vncPort > 0, as the real server does.
    public var url: String?
    public var platformMetadata: JSONValue?
    /// The last command the control plane sent for this session.
    public var lastCommandId: String?
    /// "control-plane" when created here, "agent" when first heard of in a status message.
    public var origin: String
    public var createdAt: String
    public var updatedAt: String

    public var viewable: Bool { url != nil }
}

public enum CommandState: String, Sendable, Codable, Equatable {
    case sent, acked, completed, failed
}

public struct CommandRecord: Sendable, Codable, Equatable {
    public var commandId: String
    public var agentId: String
    public var action: String
    public var payload: JSONValue
    public var sessionId: String?
    public var state: CommandState
    public var result: JSONValue?
    public var error: String?
    public var createdAt: String
    public var updatedAt: String
}

/// A message the real server would have dropped, and why.
public struct RejectedMessage: Sendable, Codable, Equatable {
    public enum Stage: String, Sendable, Codable, Equatable {
        /// Not one JSON object with a string type and an RFC 3339 (or absent) timestamp.
        case decode
        /// A field with the wrong JSON type for the server's Go struct.
        case types
        /// Well-formed, but the server could not act on it (no commandId, no sessionId...).
        case handling
    }
    public var agentId: String
    public var receivedAt: String
    public var stage: Stage
    public var type: String?
    public var reason: String
    /// The frame as received (cut at 4 KiB).
    public var frame: String
    public var frameBytes: Int
}

/// The last `metrics` message of an agent (extension, section 7).
public struct MetricsRecord: Sendable, Codable, Equatable {
    public var agentId: String
    public var receivedAt: String
    public var payload: JSONValue
    public var count: Int
}

/// The last `session_sync` of an agent (extension, section 7).
/// The newest complete `session_sync` of an agent (all parts of one revision), and how many
/// complete ones arrived.
public struct SessionSyncRecord: Sendable, Codable, Equatable {
    public var agentId: String
    public var receivedAt: String
    public var revision: Int?
    public var sessions: JSONValue
    public var count: Int
    /// Frames the newest sync came in.
    public var parts: Int = 1
}

public struct LogChunk: Sendable, Codable, Equatable {
    public var seq: Int
    public var data: String
    public var encoding: String
}

/// One `logs_request` and what came back for it.
public struct LogStreamRecord: Sendable, Codable, Equatable {
    public var requestId: String
    public var sessionId: String
    public var agentId: String
    public var follow: Bool
    public var tailLines: Int?
    public var requestedAt: String
    public var chunks: [LogChunk]
    public var bytes: Int
    /// Chunks dropped from the front to keep within the per-request bound.
    public var droppedChunks: Int
    public var ended: Bool
    public var reason: String?
    public var error: String?
    /// A logs_cancel was sent.
    public var cancelled: Bool
}

public struct EventRecord: Sendable, Codable, Equatable {
    public var at: String
    public var kind: String
    public var agentId: String?
    public var detail: String
}

/// A snapshot of everything, for assertions.
public struct DevControlPlaneState: Sendable, Codable, Equatable {
    public var agents: [AgentRecord]
    public var sessions: [SessionRecord]
    public var commands: [CommandRecord]
    public var rejected: [RejectedMessage]
    public var metrics: [MetricsRecord]
    public var sessionSyncs: [SessionSyncRecord]
    public var logs: [LogStreamRecord]
    public var events: [EventRecord]
    /// What agents sent over the stock VNC relay, by session.
    public var vncRelays: [VNCRelayRecord] = []

    public func agent(_ id: String) -> AgentRecord? { agents.first { $0.agentId == id } }
    public func session(_ id: String) -> SessionRecord? { sessions.first { $0.sessionId == id } }
    public func command(_ id: String) -> CommandRecord? { commands.first { $0.commandId == id } }
    public func logStream(_ requestId: String) -> LogStreamRecord? { logs.first { $0.requestId == requestId } }
    public func vncRelay(_ sessionId: String) -> VNCRelayRecord? { vncRelays.first { $0.sessionId == sessionId } }
    public func rejected(from agentId: String) -> [RejectedMessage] { rejected.filter { $0.agentId == agentId } }
}
