import ControlPlaneProtocol
import DriverModel
import Logging
import NIOCore
import Synchronization

/// The stock server's VNC relay (protocol file, section 8; Docs/control-plane-extension.md):
/// one TCP connection per session to its viewer port, opened when the session becomes running
/// (and again by the first `vnc_data` after a close), announced with `vnc_ready`; `vnc_data`
/// both ways (base64 from the agent; base64 or the stock server's raw string to it),
/// `vnc_close` closes, a failure answers `vnc_error`. Every message is routed by `sessionId`.
final class VNCRelay: Sendable {
    private let outbox: Outbox
    private let cache: SessionCache
    private let logger: Logger
    private let encoding: VNCDataEncoding

    /// Bytes from the server waiting for a slow session socket, per session; beyond it the
    /// connection is closed (the stock protocol cannot slow the browser down).
    static let maxPendingBytes = 1 << 20
    /// What one `vnc_data` to the server carries at most (the k8s-agent's reads).
    static let readChunk = 32 * 1024

    private final class Viewer: Sendable {
        let sessionID: String
        let input: AsyncStream<SessionPipe.Input>.Continuation
        let inputs: AsyncStream<SessionPipe.Input>
        let pending = Atomic<Int>(0)
        let browserSpoke = Atomic<Bool>(false)
        let task = Mutex<Task<Void, Never>?>(nil)

        init(sessionID: String) {
            self.sessionID = sessionID
            (inputs, input) = AsyncStream.makeStream()
        }

        func close() {
            input.finish()
            task.withLock { $0 }?.cancel()
        }
    }

    private struct State {
        var viewers: [String: Viewer] = [:]
        /// Sessions whose raw (not base64) data was already noted in the log.
        var notedRaw: Set<String> = []
    }
    private let state = Mutex(State())

    init(outbox: Outbox, cache: SessionCache, logger: Logger, encoding: VNCDataEncoding) {
        self.outbox = outbox
        self.cache = cache
        self.logger = logger
        self.encoding = encoding
    }

    var openConnections: Int { state.withLock { $0.viewers.count } }

    // MARK: Sessions and the link

    /// The session runs (a start or wake finished): open its viewer connection, as the
    /// k8s-agent does, if the link is up and none is open.
    func sessionRunning(_ sessionID: String) {
        guard outbox.isAttached else { return }
        _ = viewer(sessionID, opening: true)
    }

    /// The session stopped running: its connection closes, quietly (its status says why).
    func sessionNotRunning(_ sessionID: String) {
        state.withLock { $0.viewers.removeValue(forKey: sessionID) }?.close()
    }

    func closeAll() {
        let all = state.withLock { state in
            defer { state.viewers = [:] }
            return Array(state.viewers.values)
        }
        for viewer in all { viewer.close() }
    }

    // MARK: From the server

    func receive(_ message: Message) {
        let parsed: VNCRelayMessage
        do {
            parsed = try VNCRelayMessage.parse(message)
        } catch {
            logger.warning("ignoring a \(message.type) message: \(error.message)")
            if case .string(let id)? = message.payload["sessionId"], SessionID.isValid(id) {
                outbox.send(AgentMessage.vncError(sessionId: id, error: "\(message.type): \(error.message)"))
            }
            return
        }
        switch parsed {
        case .close(let id, let reason):
            if let viewer = state.withLock({ $0.viewers.removeValue(forKey: id) }) {
                viewer.close()
                logger.info("VNC relay of session \(id) closed by the Control Plane (\(reason.isEmpty ? "no reason" : reason))")
            }
        case .data(let id, let text):
            let bytes: [UInt8]
            switch encoding.decode(text) {
            case .bytes(let decoded):
                bytes = decoded
            case .raw(let decoded):
                bytes = decoded
                if state.withLock({ $0.notedRaw.insert(id).inserted }) {
                    logger.notice("vnc_data for session \(id) is not base64: relaying the stock server's raw string as its UTF-8 bytes (binary bytes it replaced with U+FFFD are lost; see Docs/control-plane-extension.md for the server fix)")
                }
            case .invalid:
                logger.warning("vnc_data for session \(id) is not base64 (--vnc-data-encoding base64)")
                outbox.send(AgentMessage.vncError(sessionId: id, error: "vnc_data is not base64"))
                return
            }
            guard let viewer = viewer(id, opening: true) else { return }
            viewer.browserSpoke.store(true, ordering: .relaxed)
            guard !bytes.isEmpty else { return }
            let pending = viewer.pending.add(bytes.count, ordering: .relaxed).newValue
            guard pending <= Self.maxPendingBytes else {
                fail(viewer, "the session reads slower than the viewer sends: over \(Self.maxPendingBytes >> 20) MiB waiting, connection closed")
                return
            }
            viewer.input.yield(.data(ByteBuffer(bytes: bytes)))
        }
    }

    // MARK: Connections

    /// The session's open viewer, or a new one when `opening`; nil (after answering
    /// `vnc_error`) when the session cannot be reached.
    private func viewer(_ id: String, opening: Bool) -> Viewer? {
        if let open = state.withLock({ $0.viewers[id] }) { return open }
        guard opening else { return nil }
        let status = cache.status(of: id)
        let target: SessionDialTarget
        switch SessionDialTarget.resolve(status, sessionID: id, port: nil) {
        case .failure(let refusal):
            logger.warning("VNC relay refused for session \(id): \(refusal)")
            outbox.send(AgentMessage.vncError(sessionId: id, error: refusal.description))
            return nil
        case .success(let found):
            target = found
        }
        let viewer = Viewer(sessionID: id)
        let winner = state.withLock { state -> Viewer in
            if let raced = state.viewers[id] { return raced }
            state.viewers[id] = viewer
            return viewer
        }
        guard winner === viewer, let status else { return winner }
        let port = CommandTranslation.viewerEndpoint(status)?.port ?? 0
        let podName = CommandTranslation.platformMetadata(status)["podName"]?.stringValue ?? ""
        viewer.task.withLock { $0 = Task { await self.run(viewer, target: target, port: port, podName: podName) } }
        return viewer
    }

    private func run(_ viewer: Viewer, target: SessionDialTarget, port: Int, podName: String) async {
        let id = viewer.sessionID
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await SessionPipe.connect(to: target, readChunk: Self.readChunk)
        } catch {
            let why = "cannot connect to session \(id)'s viewer port \(port) at \(target): \(error)"
            guard viewer.browserSpoke.load(ordering: .relaxed) else {
                // Opened because the session runs, with no viewer yet: nobody to tell. The
                // first vnc_data tries again (and answers vnc_error if that fails too).
                logger.info("VNC relay of session \(id) not open: \(why)")
                state.withLock { if $0.viewers[id] === viewer { $0.viewers.removeValue(forKey: id) } }
                viewer.close()
                return
            }
            fail(viewer, why)
            return
        }
        outbox.send(AgentMessage.vncReady(sessionId: id, vncPort: port, podName: podName))
        logger.info("VNC relay of session \(id) open to \(target)")
        let outbox = self.outbox
        do {
            try await SessionPipe.run(channel, input: viewer.inputs, written: { bytes in
                viewer.pending.subtract(bytes, ordering: .relaxed)
            }, read: { chunk in
                // base64 of 32 KiB is ~43 KiB: the credit it takes in the bulk lane.
                let message = AgentMessage.vncData(sessionId: id, bytes: chunk.readableBytesView)
                return await outbox.sendBulk(message, bytes: (chunk.readableBytes + 2) / 3 * 4, redacting: false)
            }, readEnded: {})
            // The session closed the connection: a browser that was talking must learn it.
            if state.withLock({ $0.viewers[id] === viewer ? $0.viewers.removeValue(forKey: id) : nil }) != nil,
               viewer.browserSpoke.load(ordering: .relaxed) {
                outbox.send(AgentMessage.vncError(sessionId: id, error: "session \(id) closed its viewer connection"))
            }
            viewer.close()
        } catch where !Task.isCancelled {
            fail(viewer, "session \(id)'s viewer connection failed: \(error)")
        } catch {}
    }

    private func fail(_ viewer: Viewer, _ why: String) {
        let current = state.withLock { state -> Bool in
            guard state.viewers[viewer.sessionID] === viewer else { return false }
            state.viewers.removeValue(forKey: viewer.sessionID)
            return true
        }
        viewer.close()
        guard current else { return }
        logger.warning("VNC relay: \(why)")
        outbox.send(AgentMessage.vncError(sessionId: viewer.sessionID, error: why))
    }
}
