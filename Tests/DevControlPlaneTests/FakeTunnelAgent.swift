import ControlPlaneProtocol
import DevControlPlane
import NIOCore

/// Reads what the control plane sent a raw test socket as a tunnel agent would.
struct FakeTunnelAgent {
    let socket: TestSocket
    init(_ socket: TestSocket) { self.socket = socket }

    struct Open { var id: UInt32; var sessionId: String; var port: Int; var window: Int }

    private var tunnelMessages: [TunnelMessage] {
        socket.frames.flatMap { messages(in: $0) }.compactMap { try? TunnelMessage.parse($0) }
    }

    /// The `tunnel_open` after the first `after` ones.
    func nextOpen(after: Int = 0) async throws -> Open {
        try await eventually("tunnel_open") { self.opens.count > after }
        return opens[after]
    }

    var opens: [Open] {
        tunnelMessages.compactMap {
            if case .open(let id, let session, let port, let window) = $0 { Open(id: id, sessionId: session, port: port, window: window) } else { nil }
        }
    }

    func grants(_ stream: UInt32) -> [Int] {
        tunnelMessages.compactMap { if case .window(stream, let bytes) = $0 { bytes } else { nil } }
    }

    func resets(_ stream: UInt32) -> [String] {
        tunnelMessages.compactMap { if case .reset(stream, let error) = $0 { error } else { nil } }
    }

    func ends(_ stream: UInt32) -> Int {
        tunnelMessages.count { if case .end(stream) = $0 { true } else { false } }
    }

    func data(_ stream: UInt32) -> [UInt8] {
        socket.binaries.flatMap { frame -> [UInt8] in
            guard case .success(let (id, payload)) = TunnelData.parse(frame), id == stream else { return [] }
            return Array(payload.readableBytesView)
        }
    }

    func dataBytes(_ stream: UInt32) -> Int { data(stream).count }

    /// A stream to port 8080 of "s-1", opened with the control plane's full window.
    func opened(_ cp: DevControlPlane, agentId: String, after: Int = 0) async throws -> (TunnelStream, Open) {
        async let stream = cp.openTunnel(agentId: agentId, sessionId: "s-1", port: 8080)
        let open = try await nextOpen(after: after)
        try await socket.send(TunnelMessage.opened(streamId: open.id, window: TunnelStream.window).message.encoded())
        return (try await stream, open)
    }

    func frame(_ stream: UInt32, bytes: Int) -> ByteBuffer {
        TunnelData.frame(streamId: stream, payload: ByteBuffer(repeating: 0x61, count: bytes))
    }
}
