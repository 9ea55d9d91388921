import ControlPlaneProtocol

/// Opens tunnel streams: finds the session's agent connection, sends `tunnel_open`, waits for
/// `tunnel_opened`. Shared by the public API and the viewer.
struct TunnelOpener: Sendable {
    let store: ControlPlaneStore

    func open(sessionId: String, port: Int?, timeout: Duration) async throws -> TunnelStream {
        guard let session = await store.session(sessionId) else { throw DevControlPlaneError.unknownSession(sessionId) }
        let port = port ?? session.vncPort
        guard port > 0 else {
            throw TunnelStreamError(.refused, "session \(sessionId) reported no viewer port (it is \(session.state))")
        }
        return try await open(agentId: session.agentId, sessionId: sessionId, port: port, timeout: timeout)
    }

    func open(agentId: String, sessionId: String, port: Int, timeout: Duration) async throws -> TunnelStream {
        guard let connection = await store.liveConnection(agentId) else {
            throw TunnelStreamError(.connectionLost, "agent \(agentId) is not connected")
        }
        let stream = try connection.tunnels.add { id in
            TunnelStream(id: id, sessionId: sessionId, port: port, connection: connection)
        }.get()
        let open = TunnelMessage.open(streamId: stream.id, sessionId: sessionId, port: port, window: TunnelStream.window)
        guard connection.enqueue([.message(open.message.encoded())]) else {
            let error = TunnelStreamError(.connectionLost, connection.closeReason ?? "closing")
            stream.fail(error)
            throw error
        }
        try await stream.waitOpened(timeout: timeout)
        return stream
    }
}
