/// The session tunnel from the control plane's side: open a stream to a session's port.
extension DevControlPlane {
    /// Opens a stream to `port` of a session this control plane knows (default: its viewer
    /// port, the `vncPort` of its last status). Throws `DevControlPlaneError.unknownSession`,
    /// or `TunnelStreamError` when the agent refuses (`isRefused`), is not connected, or does
    /// not answer within `timeout`.
    public func openTunnel(sessionId: String, port: Int? = nil, timeout: Duration = .seconds(10)) async throws -> TunnelStream {
        try await TunnelOpener(store: store).open(sessionId: sessionId, port: port, timeout: timeout)
    }

    /// Sends `tunnel_open` for any session id and port, known or not: what the agent's
    /// allow-list must refuse is for it to refuse (tests of that).
    public func openTunnel(agentId: String, sessionId: String, port: Int, timeout: Duration = .seconds(10)) async throws -> TunnelStream {
        try await TunnelOpener(store: store).open(agentId: agentId, sessionId: sessionId, port: port, timeout: timeout)
    }

    /// Streams open now over an agent's connection (0 when it is not connected).
    public func openTunnelCount(agentId: String) async -> Int {
        await store.liveConnection(agentId)?.tunnels.count ?? 0
    }
}
