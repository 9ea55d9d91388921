import ControlPlaneProtocol
import DriverModel

/// Registration, approval and the connect gate: the real server's answers.
extension ControlPlaneStore {
    /// Who may act as `agentId`: a certificate with that CN, the bootstrap key, or the key
    /// issued to that agent. Nil: 401.
    func authenticate(_ credentials: AgentCredentials, as agentId: String) -> Authentication? {
        if let name = credentials.certificateCommonName, name == agentId { return .certificate }
        guard let key = credentials.apiKey else { return nil }
        if AgentKeys.equal(key, configuration.apiKey) { return .bootstrapKey }
        if let issued = agents[agentId]?.issuedKey, AgentKeys.equal(key, issued) { return .agentKey }
        return nil
    }

    /// `POST /api/v1/agents/register` after the rate limit and the body checks.
    func register(_ request: RegistrationRequest, credentials: AgentCredentials) -> AgentAnswer {
        guard let authentication = authenticate(credentials, as: request.agentId) else {
            return AgentAnswer(401, error: "invalid API key")
        }
        let now = RFC3339.now()
        var entry = agents[request.agentId] ?? AgentEntry(record: AgentRecord(
            agentId: request.agentId, platform: request.platform, region: request.region,
            capacity: request.capacity, metadata: request.metadata,
            approvalStatus: configuration.autoApprove ? .approved : .pending,
            status: "offline", connected: false, connections: 0, heartbeats: 0,
            registeredAt: now, registrations: 0, hasIssuedKey: false, pingsSent: 0, controlFramesReceived: 0))
        if entry.record.registrations == 0 {
            event("registered", agent: request.agentId, "new agent on \(request.platform) in \(request.region) (\(entry.record.approvalStatus.rawValue))")
            logger.info("agent registered", metadata: ["agent": "\(request.agentId)", "approval": "\(entry.record.approvalStatus.rawValue)"])
        }
        entry.record.platform = request.platform
        entry.record.region = request.region
        entry.record.capacity = request.capacity
        entry.record.metadata = request.metadata
        entry.record.registrations += 1

        var answer: [String: JSONValue] = ["agent": agentJSON(entry.record)]
        let status: Int
        switch entry.record.approvalStatus {
        case .pending:
            status = 202
            answer["approvalStatus"] = .string("pending")
            answer["message"] = .string("Agent registered and waiting for an administrator to approve it")
        case .rejected:
            agents[request.agentId] = entry
            return AgentAnswer(status: 403, body: JSONValue.object([
                "error": .string("agent registration was rejected by an administrator"), "approvalStatus": .string("rejected"),
            ]).jsonString())
        case .approved:
            status = 200
            answer["approvalStatus"] = .string("approved")
            if configuration.issueAgentKeys && authentication != .agentKey {
                let key = entry.issuedKey ?? RandomHex.key()
                entry.issuedKey = key
                entry.record.hasIssuedKey = true
                answer["apiKey"] = .string(key)
            }
        }
        agents[request.agentId] = entry
        return AgentAnswer(status: status, body: JSONValue.object(answer).jsonString())
    }

    /// The Agent object as the real server returns it.
    func agentJSON(_ record: AgentRecord) -> JSONValue {
        var members: [String: JSONValue] = [
            "agentId": .string(record.agentId), "platform": .string(record.platform),
            "region": .string(record.region), "capacity": record.capacity, "metadata": record.metadata,
            "approvalStatus": .string(record.approvalStatus.rawValue),
            "status": .string(agentRecord(record.agentId)?.status ?? "offline"),
            "createdAt": .string(record.registeredAt),
        ]
        if let last = record.lastHeartbeat { members["lastHeartbeat"] = .string(last) }
        return .object(members)
    }

    func setApproval(_ agentId: String, _ approval: ApprovalStatus) throws(DevControlPlaneError) -> AgentRecord {
        guard var entry = agents[agentId] else { throw .unknownAgent(agentId) }
        entry.record.approvalStatus = approval
        agents[agentId] = entry
        event(approval.rawValue, agent: agentId, "an administrator set the agent \(approval.rawValue)")
        logger.info("agent \(approval.rawValue)", metadata: ["agent": "\(agentId)"])
        if approval == .rejected, let connection = entry.connection {
            connection.close(.policyViolation, reason: "agent rejected by an administrator")
        }
        return agentRecord(agentId)!
    }

    /// The checks before a WebSocket upgrade, in the real server's order: key (401), the
    /// agent (404, after the input filter), its approval (403).
    func connectRefusal(agentId rawId: String?, credentials: AgentCredentials) -> AgentAnswer? {
        guard let rawId, !rawId.isEmpty else { return AgentAnswer(400, error: "agent_id query parameter is required") }
        let agentId = AgentKeys.filtered(rawId)
        if let key = credentials.apiKey, !AgentKeys.wellFormed(key), credentials.certificateCommonName != agentId {
            return AgentAnswer(401, error: "invalid API key format")
        }
        guard authenticate(credentials, as: agentId) != nil else {
            return AgentAnswer(401, error: credentials.apiKey == nil ? "missing X-Agent-API-Key header" : "invalid API key")
        }
        guard let entry = agents[agentId] else { return AgentAnswer(404, error: "agent not found") }
        switch entry.record.approvalStatus {
        case .approved: return nil
        case .pending: return AgentAnswer(403, error: "agent is not approved yet")
        case .rejected: return AgentAnswer(403, error: "agent was rejected by an administrator")
        }
    }

    struct Attached {
        var connection: AgentConnection
        var replaced: AgentConnection?
        /// Close at once: the agent is no longer allowed, or a fresh-connection close is due.
        var closeReason: String?
    }

    /// Makes a new connection the agent's current one. The previous connection is returned so
    /// the caller closes it: a second connection replaces the first.
    func attach(agentId: String, peer: String) -> Attached {
        let connection = AgentConnection(serial: nextConnectionSerial, agentId: agentId, peer: peer,
                                         sendBufferSize: configuration.sendBufferSize)
        nextConnectionSerial += 1
        guard var entry = agents[agentId], entry.record.approvalStatus == .approved else {
            return Attached(connection: connection, replaced: nil, closeReason: "agent is not approved")
        }
        let replaced = entry.connection
        entry.connection = connection
        entry.connectedAt = .now
        entry.lastHeartbeatAt = nil
        entry.record.connections += 1
        agents[agentId] = entry
        event("connected", agent: agentId, "connection #\(connection.serial) from \(peer)" + (replaced.map { ", replacing #\($0.serial)" } ?? ""))
        logger.info("agent connected", metadata: ["agent": "\(agentId)", "peer": "\(peer)", "connection": "\(connection.serial)"])
        var closeReason: String?
        if freshClosesLeft > 0 {
            freshClosesLeft -= 1
            closeReason = "fresh connection closed on purpose (--close-fresh-connections)"
        }
        return Attached(connection: connection, replaced: replaced, closeReason: closeReason)
    }

    func detach(_ connection: AgentConnection, reason: String) {
        guard var entry = agents[connection.agentId] else { return }
        if entry.connection === connection {
            entry.connection = nil
            entry.connectedAt = nil
            entry.record.lastDisconnectReason = reason
            let counters = connection.counters
            entry.record.pingsSent = counters.pingsSent
            entry.record.controlFramesReceived = counters.controlFramesReceived
            agents[connection.agentId] = entry
        }
        event("disconnected", agent: connection.agentId, "connection #\(connection.serial): \(reason)")
        logger.info("agent disconnected", metadata: ["agent": "\(connection.agentId)", "connection": "\(connection.serial)", "reason": "\(reason)"])
    }

    /// The agent's current, open connection.
    func liveConnection(_ agentId: String) -> AgentConnection? {
        guard let connection = agents[agentId]?.connection, !connection.isClosing else { return nil }
        return connection
    }
}
