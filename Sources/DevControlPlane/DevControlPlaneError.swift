/// Why a dev control plane operation did not happen, in words an operator can act on.
public enum DevControlPlaneError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    case notRunning
    case unknownAgent(String)
    /// Commands to a disconnected agent fail at once, as on the real server (the command is
    /// recorded as failed when it had an id).
    case agentNotConnected(agentId: String, commandId: String?)
    case noAgentAvailable
    case unknownSession(String)
    case invalidRequest(String)
    case timedOut(String)
    /// An admin API call answered with an error status.
    case adminAPI(status: Int, message: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): "invalid configuration: \(message)"
        case .notRunning: "the dev control plane is not running"
        case .unknownAgent(let id): "no agent \(id.debugDescription) has registered"
        case .agentNotConnected(let id, let commandId):
            "agent \(id.debugDescription) is not connected: the command failed at once" + (commandId.map { " (\($0))" } ?? "")
        case .noAgentAvailable: "no approved agent is connected to run the session"
        case .unknownSession(let id): "no session \(id.debugDescription)"
        case .invalidRequest(let message): message
        case .timedOut(let what): "timed out waiting for \(what)"
        case .adminAPI(let status, let message): "admin API answered HTTP \(status): \(message)"
        }
    }

    /// The HTTP status the admin API answers with for this error.
    var httpStatus: Int {
        switch self {
        case .invalidConfiguration, .invalidRequest: 400
        case .unknownAgent, .unknownSession: 404
        case .agentNotConnected, .noAgentAvailable: 409
        case .timedOut: 504
        case .notRunning: 503
        case .adminAPI(let status, _): status
        }
    }
}
