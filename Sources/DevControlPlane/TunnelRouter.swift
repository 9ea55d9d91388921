import ControlPlaneProtocol
import NIOCore

/// Takes what the agent sends for the session tunnel to its stream: binary data frames and
/// `tunnel_opened` / `tunnel_window` / `tunnel_end` / `tunnel_reset`. What breaks the protocol
/// is recorded as a dropped message (as the store records any other), and the stream it names,
/// when there is one, is reset. The data path does not touch the store.
struct TunnelRouter {
    let connection: AgentConnection
    let store: ControlPlaneStore

    func data(_ frame: ByteBuffer) async {
        switch TunnelData.parse(frame) {
        case .failure(let refusal):
            await drop(.decode, type: nil, refusal.description, frame: frame)
        case .success(let (id, payload)):
            guard let stream = connection.tunnels.stream(id) else {
                // Data in flight when the stream was reset here is expected: not worth a record.
                return
            }
            if !stream.received(payload) {
                stream.reset("more data than the window of \(TunnelStream.window) bytes allows")
                await drop(.handling, type: nil, "tunnel data beyond the window on stream \(id)", frame: frame)
            }
        }
    }

    func control(_ message: Message, text: String, bytes: Int) async {
        let tunnel: TunnelMessage
        do {
            tunnel = try TunnelMessage.parse(message)
        } catch {
            if let id = TunnelMessage.salvageStreamID(message.payload), let stream = connection.tunnels.stream(id) {
                stream.reset("unreadable \(message.type): \(error.message)")
            }
            return await store.drop(agentId: connection.agentId, stage: .types, type: message.type, reason: error.message, text: text, bytes: bytes)
        }
        guard let stream = connection.tunnels.stream(tunnel.streamId) else {
            // A window or reset crossing our own reset is normal; anything else names no stream.
            if case .window = tunnel { return }
            if case .reset = tunnel { return }
            return await store.drop(agentId: connection.agentId, stage: .handling, type: message.type,
                                    reason: "stream \(tunnel.streamId) is not open", text: text, bytes: bytes)
        }
        switch tunnel {
        case .open:
            stream.reset("an agent does not send tunnel_open")
            await store.drop(agentId: connection.agentId, stage: .handling, type: message.type,
                             reason: "tunnel_open comes from the control plane, never from an agent", text: text, bytes: bytes)
        case .opened(_, let window):
            stream.opened(window: window)
        case .window(_, let grant):
            if !stream.granted(grant) {
                stream.reset("a grant beyond \(TunnelMessage.maxWindow) bytes")
                await store.drop(agentId: connection.agentId, stage: .handling, type: message.type,
                                 reason: "grant beyond \(TunnelMessage.maxWindow) bytes of credit on stream \(tunnel.streamId)", text: text, bytes: bytes)
            }
        case .end:
            stream.remoteEnded()
        case .reset(_, let error):
            stream.remoteReset(error)
        }
    }

    private func drop(_ stage: RejectedMessage.Stage, type: String?, _ reason: String, frame: ByteBuffer) async {
        let head = frame.getBytes(at: frame.readerIndex, length: min(16, frame.readableBytes)) ?? []
        let shown = "binary frame of \(frame.readableBytes) bytes: " + head.map { String($0, radix: 16) }.joined(separator: " ")
        await store.drop(agentId: connection.agentId, stage: stage, type: type, reason: reason, text: shown, bytes: frame.readableBytes)
    }
}
