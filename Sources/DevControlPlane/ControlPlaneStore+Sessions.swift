import ControlPlaneProtocol
import DriverModel

/// Session lifecycle from the control plane's side: it sets the in-between states
/// (pending, hibernating, waking, terminating) and sends the command; only the agent's
/// `status` messages set the rest.
extension ControlPlaneStore {
    func createSession(_ request: SessionRequest) throws(DevControlPlaneError) -> (sessionId: String, commandId: String) {
        let agentId: String
        if let chosen = request.agentId { agentId = chosen } else { agentId = try firstAvailableAgent() }
        let sessionId = "\(request.user)-\(request.template)-\(RandomHex.bytes(4))"
        if let problem = SessionID.problem(sessionId) {
            throw .invalidRequest("user and template make the session id: \(problem)")
        }
        if let port = request.port, !(1...65535).contains(port) { throw .invalidRequest("port \(port) is not a TCP port") }
        if let manifest = request.templateManifest, manifest.objectValue == nil {
            throw .invalidRequest("templateManifest must be a JSON object")
        }
        let payload = SessionPayload.startSession(sessionId: sessionId, request: request, defaults: configuration)
        let commandId = try send([OutgoingCommand(action: "start_session", payload: payload, sessionId: sessionId)], to: agentId)[0]
        let now = RFC3339.now()
        sessions[sessionId] = SessionRecord(
            sessionId: sessionId, agentId: agentId, user: request.user, template: request.template,
            namespace: payload["namespace"]?.stringValue, state: "pending", vncReady: false, vncPort: 0,
            lastCommandId: commandId, origin: "control-plane", createdAt: now, updatedAt: now)
        event("session-created", agent: agentId, "\(sessionId) (\(commandId))")
        return (sessionId, commandId)
    }

    private func firstAvailableAgent() throws(DevControlPlaneError) -> String {
        let candidates = agentRecords().filter { $0.approvalStatus == .approved && $0.connected }
        guard let agent = candidates.first(where: { $0.status == "online" }) ?? candidates.first else {
            throw .noAgentAvailable
        }
        return agent.agentId
    }

    /// hibernate_session / wake_session / stop_session for a known session.
    func sessionCommand(_ sessionId: String, action: String, deletePVC: Bool = false) throws(DevControlPlaneError) -> String {
        guard var session = sessions[sessionId] else { throw .unknownSession(sessionId) }
        var payload: [String: JSONValue] = ["sessionId": .string(sessionId)]
        if let namespace = session.namespace { payload["namespace"] = .string(namespace) }
        if action == "stop_session" { payload["deletePVC"] = .bool(deletePVC) }
        let commandId = try send([OutgoingCommand(action: action, payload: .object(payload), sessionId: sessionId)],
                                 to: session.agentId)[0]
        session.state = switch action {
        case "hibernate_session": "hibernating"
        case "wake_session": "waking"
        default: "terminating"
        }
        session.lastCommandId = commandId
        session.updatedAt = RFC3339.now()
        sessions[sessionId] = session
        return commandId
    }

    func session(_ sessionId: String) -> SessionRecord? { sessions[sessionId] }
}
