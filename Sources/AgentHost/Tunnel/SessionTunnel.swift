import ControlPlaneProtocol
import Logging
import NIOCore
import Synchronization

/// The session tunnel's agent side (Docs/control-plane-extension.md, "Session traffic"): the
/// Control Plane's streams, each a TCP connection to one published port of one running
/// session, with flow control both ways. Called from the link's reader, which it never makes
/// wait: dialling, reading and writing run in each stream's own task.
final class SessionTunnel: Sendable {
    private let outbox: Outbox
    private let cache: SessionCache
    private let logger: Logger
    private let streams = Mutex<[UInt32: TunnelStream]>([:])

    /// What each stream accepts from the Control Plane before a grant.
    static let window = 256 * 1024
    /// Open streams per connection; more are refused.
    static let maxStreams = 1024

    init(outbox: Outbox, cache: SessionCache, logger: Logger) {
        self.outbox = outbox
        self.cache = cache
        self.logger = logger
    }

    var openStreams: Int { streams.withLock { $0.count } }

    // MARK: From the Control Plane

    func receive(_ message: Message) {
        let parsed: TunnelMessage
        do {
            parsed = try TunnelMessage.parse(message)
        } catch {
            logger.warning("refusing a \(message.type) message: \(error.message)")
            if let id = TunnelMessage.salvageStreamID(message.payload) { reset(id, "\(message.type): \(error.message)") }
            return
        }
        switch parsed {
        case .open(let id, let session, let port, let window):
            open(id, session: session, port: port, window: window)
        case .window(let id, let bytes):
            guard let stream = stream(id) else { return }
            if !stream.grant(bytes) { reset(id, "tunnel_window granted \(bytes) bytes beyond what was sent (the window may not exceed \(TunnelMessage.maxWindow))") }
        case .end(let id):
            stream(id)?.input.yield(.end)
        case .reset(let id, let error):
            if let stream = remove(id) {
                stream.close()
                logger.debug("tunnel stream \(id) (session \(stream.sessionID)) reset by the Control Plane: \(error)")
            }
        case .opened(let id, _):
            logger.warning("ignoring tunnel_opened for stream \(id): only the agent sends it")
        }
    }

    /// A binary frame: one piece of a stream.
    func receiveData(_ frame: ByteBuffer) {
        switch TunnelData.parse(frame) {
        case .failure(let refusal):
            logger.warning("ignoring \(refusal)")
            if refusal == .tooLong(frame.readableBytes - TunnelData.headerBytes), frame.readableBytes >= TunnelData.headerBytes {
                var copy = frame
                copy.moveReaderIndex(forwardBy: 1)
                if let id = copy.readInteger(as: UInt32.self), id > 0 { reset(id, refusal.description) }
            }
        case .success(let (id, payload)):
            // Data for a stream reset a moment ago is still in flight: dropped quietly.
            guard let stream = stream(id) else { return }
            if !stream.received(payload) {
                reset(id, "the Control Plane sent more than the stream's window of \(Self.window) bytes")
            }
        }
    }

    // MARK: Sessions and the link

    /// The session is no longer running (stopped, hibernated, failed, gone): its streams end.
    func sessionNotRunning(_ sessionID: String) {
        let ended = streams.withLock { streams in
            let ids = streams.values.filter { $0.sessionID == sessionID }.map(\.id)
            return ids.compactMap { streams.removeValue(forKey: $0) }
        }
        for stream in ended where stream.close() {
            outbox.send(TunnelMessage.reset(streamId: stream.id, error: "session \(sessionID) is no longer running").message)
        }
    }

    /// The link is down: every stream ends (the Control Plane's ends are gone with it).
    func closeAll() {
        let all = streams.withLock { streams in
            defer { streams = [:] }
            return Array(streams.values)
        }
        for stream in all { stream.close() }
    }

    // MARK: Streams

    private func open(_ id: UInt32, session: String, port: Int, window: Int) {
        let target: SessionDialTarget
        switch SessionDialTarget.resolve(cache.status(of: session), sessionID: session, port: port) {
        case .failure(let refusal):
            logger.warning("refused tunnel stream \(id) to session \(session) port \(port): \(refusal)")
            outbox.send(TunnelMessage.reset(streamId: id, error: "refused: \(refusal)").message)
            return
        case .success(let found):
            target = found
        }
        let stream = TunnelStream(id: id, sessionID: session, sendWindow: window, receiveWindow: Self.window)
        let problem: String? = streams.withLock { streams in
            if let existing = streams.removeValue(forKey: id) {
                existing.close()
                return "stream \(id) is already open"
            }
            guard streams.count < Self.maxStreams else { return "too many streams open (at most \(Self.maxStreams))" }
            streams[id] = stream
            return nil
        }
        if let problem {
            logger.warning("refused tunnel stream \(id) to session \(session): \(problem)")
            outbox.send(TunnelMessage.reset(streamId: id, error: "refused: \(problem)").message)
            return
        }
        stream.attach(Task { await self.run(stream, target: target, port: port) })
    }

    private func run(_ stream: TunnelStream, target: SessionDialTarget, port: Int) async {
        let id = stream.id
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await SessionPipe.connect(to: target, readChunk: TunnelData.maxPayload)
        } catch {
            logger.warning("tunnel stream \(id): cannot connect to session \(stream.sessionID) port \(port) at \(target): \(error)")
            reset(id, "cannot connect to session \(stream.sessionID) port \(port): \(error)")
            return
        }
        guard !stream.isClosed else {
            try? await channel.channel.close()
            return
        }
        outbox.send(TunnelMessage.opened(streamId: id, window: Self.window).message)
        logger.debug("tunnel stream \(id) open to session \(stream.sessionID) port \(port) at \(target)")
        let outbox = self.outbox
        do {
            try await SessionPipe.run(channel, input: stream.inputs, written: { bytes in
                if let grant = stream.written(bytes) {
                    outbox.send(TunnelMessage.window(streamId: id, bytes: grant).message)
                }
            }, read: { chunk in
                var chunk = chunk
                while chunk.readableBytes > 0 {
                    guard let credit = await stream.takeCredit(upTo: min(chunk.readableBytes, TunnelData.maxPayload)) else { return false }
                    let piece = chunk.readSlice(length: credit)!
                    guard await outbox.sendBulk(binary: TunnelData.frame(streamId: id, payload: piece)) else { return false }
                }
                return true
            }, readEnded: {
                // Behind its data, in the same lane.
                _ = await outbox.sendBulk(TunnelMessage.end(streamId: id).message, bytes: 1)
            })
            if remove(id) != nil { stream.close() }
        } catch {
            if !stream.isClosed {
                reset(id, "session \(stream.sessionID) port \(port): \(error)")
            }
        }
    }

    private func stream(_ id: UInt32) -> TunnelStream? {
        streams.withLock { $0[id] }
    }

    private func remove(_ id: UInt32) -> TunnelStream? {
        streams.withLock { $0.removeValue(forKey: id) }
    }

    /// Ends a stream from this side and tells the Control Plane why.
    private func reset(_ id: UInt32, _ why: String) {
        remove(id)?.close()
        outbox.send(TunnelMessage.reset(streamId: id, error: why).message)
    }
}
