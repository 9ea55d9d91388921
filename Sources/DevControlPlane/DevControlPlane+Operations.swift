import ControlPlaneProtocol
import DriverModel

/// What tests (and the admin API) do with a running dev control plane.
extension DevControlPlane {
    /// A snapshot of everything: agents, sessions, commands, rejected messages, extension data.
    public var state: DevControlPlaneState {
        get async { await store.snapshot() }
    }

    @discardableResult
    public func approve(agentId: String) async throws(DevControlPlaneError) -> AgentRecord {
        try await store.setApproval(agentId, .approved)
    }

    @discardableResult
    public func reject(agentId: String) async throws(DevControlPlaneError) -> AgentRecord {
        try await store.setApproval(agentId, .rejected)
    }

    /// Sends `start_session` with a realistic payload (protocol, section 3).
    public func createSession(_ request: SessionRequest) async throws(DevControlPlaneError) -> SessionCreated {
        let created = try await store.createSession(request)
        return SessionCreated(sessionId: created.sessionId, commandId: created.commandId)
    }

    /// Sends `hibernate_session`; answers the command id.
    @discardableResult
    public func hibernate(sessionId: String) async throws(DevControlPlaneError) -> String {
        try await store.sessionCommand(sessionId, action: "hibernate_session")
    }

    @discardableResult
    public func wake(sessionId: String) async throws(DevControlPlaneError) -> String {
        try await store.sessionCommand(sessionId, action: "wake_session")
    }

    /// Sends `stop_session`.
    @discardableResult
    public func deleteSession(_ sessionId: String, deletePVC: Bool = false) async throws(DevControlPlaneError) -> String {
        try await store.sessionCommand(sessionId, action: "stop_session", deletePVC: deletePVC)
    }

    /// Sends one command; answers its id. A disconnected agent: fails at once (recorded as a
    /// failed command, `agentNotConnected` thrown), as on the real server.
    @discardableResult
    public func send(action: String, payload: JSONValue, to agentId: String) async throws(DevControlPlaneError) -> String {
        try await store.send([OutgoingCommand(action: action, payload: payload)], to: agentId)[0]
    }

    /// Sends commands queued together: with batching on they share one frame, `\n`-separated.
    @discardableResult
    public func send(commands: [OutgoingCommand], to agentId: String) async throws(DevControlPlaneError) -> [String] {
        try await store.send(commands, to: agentId)
    }

    /// Waits for the agent's `complete` or `failed` for a command and answers the record; after
    /// `timeout`, the record as it is then (state sent or acked). Nil for an unknown command.
    public func result(ofCommand commandId: String, timeout: Duration = .seconds(30)) async -> CommandRecord? {
        await store.commandResult(commandId, timeout: timeout)
    }

    /// Sends a recorded command again under the same id (the record goes back to `sent`).
    public func resend(commandId: String) async throws(DevControlPlaneError) {
        try await store.resend(commandId)
    }

    /// Sends text verbatim as one frame (garbage, two messages, a numeric timestamp...). The
    /// `commandIds` it carries are recorded, so the agent's answers to them can be awaited.
    public func sendRaw(frame: String, to agentId: String, commandIds: [String] = []) async throws(DevControlPlaneError) {
        try await store.sendRaw(frame, to: agentId, commandIds: commandIds)
    }

    /// Sends `logs_request`; answers the request id. Follow the chunks in `state.logs`.
    public func requestLogs(sessionId: String, _ request: LogsRequest = LogsRequest()) async throws(DevControlPlaneError) -> String {
        try await store.requestLogs(sessionId: sessionId, request)
    }

    /// Sends `logs_cancel` (unless the stream already ended).
    /// A log request's progress — ended yet, bytes and chunks received — without a snapshot of
    /// the whole state (which would copy every chunk held): cheap enough to poll closely.
    public func logProgress(requestId: String) async -> (ended: Bool, bytes: Int, chunks: Int)? {
        await store.logProgress(requestId)
    }

    public func cancelLogs(requestId: String) async {
        await store.cancelLogs(requestId)
    }

    /// Closes the agent's current connection from the server side (close frame, then TCP).
    public func disconnect(agentId: String, reason: String = "closed by the dev control plane") async throws(DevControlPlaneError) {
        guard let connection = await store.liveConnection(agentId) else {
            throw .agentNotConnected(agentId: agentId, commandId: nil)
        }
        connection.close(.normalClosure, reason: reason)
    }

    /// Stops reading an agent's connection for a while: a stalled Control Plane, whose TCP
    /// window closes so that the agent's writes back up (tests of the agent's bounded memory).
    public func pauseReading(agentId: String, for duration: Duration) async throws(DevControlPlaneError) {
        guard let connection = await store.liveConnection(agentId) else {
            throw .agentNotConnected(agentId: agentId, commandId: nil)
        }
        connection.pauseReading(for: duration)
    }

    /// Polls the state until `predicate` holds; answers that state. Throws `timedOut(what)`.
    @discardableResult
    public func waitFor(_ what: String, timeout: Duration = .seconds(15), poll: Duration = .milliseconds(20),
                        _ predicate: @Sendable (DevControlPlaneState) -> Bool) async throws(DevControlPlaneError) -> DevControlPlaneState {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let snapshot = await state
            if predicate(snapshot) { return snapshot }
            guard ContinuousClock.now < deadline else { throw .timedOut(what) }
            do { try await Task.sleep(for: poll) } catch { throw .timedOut("\(what) (cancelled)") }
        }
    }
}
