import ControlPlaneProtocol
import DriverModel
import Foundation

/// What the server does with each message an agent sends.
extension ControlPlaneStore {
    func receive(_ outcome: InboundDecoding.Outcome, text: String, bytes: Int, from connection: AgentConnection) {
        let agentId = connection.agentId
        switch outcome {
        case .dropped(let stage, let type, let reason):
            drop(agentId: agentId, stage: stage, type: type, reason: reason, text: text, bytes: bytes)
        case .message(let message):
            apply(message, agentId: agentId, text: text, bytes: bytes)
        }
    }

    func drop(agentId: String, stage: RejectedMessage.Stage, type: String?, reason: String, text: String, bytes: Int) {
        let frame = text.utf8.count > 4096 ? String(decoding: Array(text.utf8.prefix(4096)), as: UTF8.self) : text
        rejected.append(RejectedMessage(agentId: agentId, receivedAt: RFC3339.now(), stage: stage, type: type,
                                        reason: reason, frame: frame, frameBytes: bytes))
        logger.warning("dropped a message from the agent, as the real server would",
                       metadata: ["agent": "\(agentId)", "stage": "\(stage.rawValue)", "reason": "\(reason)"])
    }

    private func apply(_ message: Message, agentId: String, text: String, bytes: Int) {
        let payload = message.payload
        func reject(_ reason: String) {
            drop(agentId: agentId, stage: .handling, type: message.type, reason: reason, text: text, bytes: bytes)
        }
        switch message.type {
        case "heartbeat":
            guard var entry = agents[agentId] else { return }
            entry.lastHeartbeatAt = .now
            entry.record.lastHeartbeat = RFC3339.now()
            entry.record.heartbeats += 1
            entry.record.activeSessions = payload["activeSessions"]?.intValue.map { Int($0) }
            entry.record.heartbeatCapacity = payload["capacity"].flatMap { $0 == .null ? nil : $0 }
            agents[agentId] = entry
        case "ack":
            guard let id = nonEmpty(payload["commandId"]) else { return reject("ack without a commandId") }
            updateCommand(id, agentId: agentId, reject: reject) { command in
                if command.state == .sent { command.state = .acked }
            }
        case "complete":
            guard let id = nonEmpty(payload["commandId"]) else { return reject("complete without a commandId") }
            updateCommand(id, agentId: agentId, reject: reject) { command in
                command.state = .completed
                command.result = payload["result"].flatMap { $0 == .null ? nil : $0 }
                command.error = nil
            }
        case "failed":
            guard let id = nonEmpty(payload["commandId"]) else { return reject("failed without a commandId") }
            updateCommand(id, agentId: agentId, reject: reject) { command in
                command.state = .failed
                command.error = payload["error"]?.stringValue ?? ""
            }
        case "status":
            guard let id = nonEmpty(payload["sessionId"]) else { return reject("status without a sessionId") }
            applyStatus(sessionId: id, payload: payload, agentId: agentId)
        case "metrics":
            // A report in several parts (many sessions) is kept once its last part is in.
            let part = Int(payload["part"]?.intValue ?? 1), parts = Int(payload["parts"]?.intValue ?? 1)
            guard parts >= 1, (1...parts).contains(part) else { return reject("metrics part \(part) of \(parts)") }
            var gathered = part == 1 ? [] : (metricsParts[agentId] ?? [])
            gathered += payload["sessions"]?.arrayValue ?? []
            guard part == parts else {
                metricsParts[agentId] = gathered
                return
            }
            metricsParts[agentId] = nil
            var merged = payload.objectValue ?? [:]
            merged["sessions"] = .array(gathered)
            let previous = metrics[agentId]?.count ?? 0
            metrics[agentId] = MetricsRecord(agentId: agentId, receivedAt: RFC3339.now(), payload: .object(merged), count: previous + 1)
        case "session_sync":
            let revision = payload["revision"]?.intValue.map { Int($0) }
            let part = Int(payload["part"]?.intValue ?? 1), parts = Int(payload["parts"]?.intValue ?? 1)
            guard parts >= 1, (1...parts).contains(part) else { return reject("session_sync part \(part) of \(parts)") }
            // Parts of one revision gather until the last; a new revision starts afresh.
            var pending = syncParts[agentId].flatMap { $0.revision == revision ? $0 : nil }
                ?? PendingSync(revision: revision, parts: parts)
            pending.received[part] = payload["sessions"]?.arrayValue ?? []
            guard pending.received.count == parts else {
                syncParts[agentId] = pending
                return
            }
            syncParts[agentId] = nil
            let previous = sessionSyncs[agentId]?.count ?? 0
            sessionSyncs[agentId] = SessionSyncRecord(
                agentId: agentId, receivedAt: RFC3339.now(), revision: revision,
                sessions: .array((1...parts).flatMap { pending.received[$0] ?? [] }), count: previous + 1, parts: parts)
        case "log_chunk":
            guard let id = nonEmpty(payload["requestId"]), var stream = logs[id] else {
                return reject("log_chunk for an unknown requestId")
            }
            guard !stream.ended else { return reject("log_chunk after log_end for \(id)") }
            let chunk = LogChunk(seq: Int(payload["seq"]?.intValue ?? 0), data: payload["data"]?.stringValue ?? "",
                                 encoding: payload["encoding"]?.stringValue ?? "utf8")
            stream.chunks.append(chunk)
            stream.bytes += chunk.data.utf8.count
            while stream.bytes > configuration.maxLogBytesPerRequest, stream.chunks.count > 1 {
                stream.bytes -= stream.chunks.removeFirst().data.utf8.count
                stream.droppedChunks += 1
            }
            logs[id] = stream
        case "log_end":
            guard let id = nonEmpty(payload["requestId"]), var stream = logs[id] else {
                return reject("log_end for an unknown requestId")
            }
            stream.ended = true
            stream.reason = payload["reason"]?.stringValue
            stream.error = payload["error"]?.stringValue
            logs[id] = stream
        case "vnc_ready", "vnc_data", "vnc_error":
            guard let id = nonEmpty(payload["sessionId"]) else { return reject("\(message.type) without a sessionId") }
            recordVNC(message.type, sessionId: id, payload: payload, agentId: agentId)
        default:
            // The real server logs unknown types and carries on.
            event("unknown-message", agent: agentId, "ignored a message of unknown type \(message.type.debugDescription)")
            logger.info("ignored a message of unknown type", metadata: ["agent": "\(agentId)", "type": "\(message.type)"])
        }
    }

    /// The relay as the stock server would forward it, kept per session for tests.
    private func recordVNC(_ type: String, sessionId: String, payload: JSONValue, agentId: String) {
        var record = vncRelays[sessionId] ?? VNCRelayRecord(sessionId: sessionId, agentId: agentId, updatedAt: RFC3339.now())
        switch type {
        case "vnc_ready":
            record.readyCount += 1
            record.vncPort = payload["vncPort"]?.intValue.map { Int($0) }
            record.podName = payload["podName"]?.stringValue
        case "vnc_data":
            let text = payload["data"]?.stringValue ?? ""
            if let bytes = Data(base64Encoded: text) { record.append(bytes) } else { record.undecodable += 1 }
        default:
            record.noteError(payload["error"]?.stringValue ?? "")
        }
        record.updatedAt = RFC3339.now()
        vncRelays[sessionId] = record
    }

    private func updateCommand(_ id: String, agentId: String, reject: (String) -> Void, _ change: (inout CommandRecord) -> Void) {
        guard var command = commands[id] else { return reject("unknown commandId \(id.debugDescription)") }
        change(&command)
        command.updatedAt = RFC3339.now()
        commands[id] = command
        commandChanged(command)
    }

    /// The only message that changes a session's state. Viewable (a url) only when
    /// vncReady && vncPort > 0.
    private func applyStatus(sessionId: String, payload: JSONValue, agentId: String) {
        let now = RFC3339.now()
        var session = sessions[sessionId] ?? SessionRecord(
            sessionId: sessionId, agentId: agentId, state: "pending", vncReady: false, vncPort: 0,
            origin: "agent", createdAt: now, updatedAt: now)
        if session.origin == "agent" && sessions[sessionId] == nil {
            event("unknown-session", agent: agentId, "status for \(sessionId), which the control plane did not create (the real server would not know it)")
        }
        if let state = nonEmpty(payload["state"]) { session.state = state }
        session.vncReady = payload["vncReady"]?.boolValue ?? false
        session.vncPort = Int(payload["vncPort"]?.intValue ?? 0)
        let metadata = payload["platformMetadata"].flatMap { $0 == .null ? nil : $0 }
        session.platformMetadata = metadata
        if session.vncReady && session.vncPort > 0 {
            session.url = metadata?["url"]?.stringValue ?? "/api/v1/sessions/\(sessionId)/vnc"
        } else {
            session.url = nil
        }
        session.updatedAt = now
        sessions[sessionId] = session
    }

    private func nonEmpty(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        return text
    }
}
