import ControlPlaneProtocol
import DriverModel
import Logging
import Synchronization

/// Logs on demand: a `logs_request` opens a stream from the driver, sent as `log_chunk` frames
/// (at most 64 KiB of data each, text when the bytes are UTF-8, base64 otherwise) and exactly
/// one `log_end`; `logs_cancel` ends it. Memory stays bounded whatever the Control Plane does:
/// the driver's stream holds at most `bufferBytes` before the driver is paused, and chunks wait
/// for the outbox's bulk credit before they are queued.
final class LogForwarder: Sendable {
    private let driver: Driver
    private let outbox: Outbox
    private let logger: Logger
    private let maxStreams: Int
    private let bufferBytes: Int
    private let streams = Mutex<[String: DriverLogStream]>([:])

    /// Raw bytes per chunk: base64 of this is still within 64 KiB.
    static let chunkBytes = 48 * 1024
    /// How long a chunk that is not full waits for more of the driver's writes (it goes as
    /// soon as it is full).
    static let linger = Duration.milliseconds(2)

    init(driver: Driver, outbox: Outbox, logger: Logger, maxStreams: Int = 256, bufferBytes: Int = 256 * 1024) {
        self.driver = driver
        self.outbox = outbox
        self.logger = logger
        self.maxStreams = maxStreams
        self.bufferBytes = bufferBytes
    }

    var activeStreams: Int { streams.withLock { $0.count } }

    /// `logs_request {requestId, sessionId, follow, tailLines?, sinceTime?}`.
    func open(_ payload: JSONValue) {
        let requestID: String, request: LogRequest
        do {
            (requestID, request) = try CommandTranslation.logRequest(payload)
        } catch {
            // Answerable only when the request id can be read.
            guard case .string(let id)? = payload["requestId"], !id.isEmpty else {
                return logger.warning("ignoring a logs_request that cannot be answered: \(error.message)")
            }
            return refuse(id, "logs_request: \(error.message)")
        }
        let sessionID = request.sessionId
        let stream = driver.openLogs(request, highWaterBytes: bufferBytes)
        let accepted = streams.withLock { streams -> Bool in
            guard streams[requestID] == nil, streams.count < maxStreams else { return false }
            streams[requestID] = stream
            return true
        }
        guard accepted else {
            stream.cancel()
            Task { _ = await stream.collect() }
            return refuse(requestID, "too many log streams open (at most \(maxStreams)) or a repeated requestId")
        }
        Task { await forward(stream, requestID: requestID, sessionID: sessionID) }
    }

    /// `logs_cancel {requestId}`: the stream ends with reason "cancelled".
    func cancel(_ payload: JSONValue) {
        do {
            let requestID = try CommandTranslation.logCancel(payload)
            streams.withLock { $0[requestID] }?.cancel()
        } catch {
            logger.warning("ignoring a logs_cancel: \(error.message)")
        }
    }

    /// The link went down: every stream ends (the Control Plane asks again when it wants).
    func cancelAll() {
        for stream in streams.withLock({ Array($0.values) }) { stream.cancel() }
    }

    private func refuse(_ requestID: String, _ why: String) {
        outbox.send(AgentMessage.logEnd(requestId: requestID, reason: "error", error: why))
    }

    private func forward(_ stream: DriverLogStream, requestID: String, sessionID: String) async {
        var seq = 0
        var linkUp = true
        var end: DriverError?
        var pending: [UInt8] = []

        func flush() async {
            var start = 0
            while start < pending.count, linkUp {
                var stop = min(pending.count, start + Self.chunkBytes)
                // Never cut a UTF-8 sequence in two (continuation bytes are 10xxxxxx).
                if stop < pending.count {
                    var back = stop
                    while back > start + 1, pending[back] & 0xC0 == 0x80 { back -= 1 }
                    if back > start { stop = back }
                }
                let piece = pending[start..<stop]
                let (data, encoding) = AgentMessage.logChunkData(piece)
                seq += 1
                linkUp = await outbox.sendBulk(AgentMessage.logChunk(requestId: requestID, sessionId: sessionID, seq: seq,
                                                                     data: data, encoding: encoding), bytes: data.utf8.count)
                start = stop
            }
            pending.removeAll(keepingCapacity: true)
        }

        reading: while let event = await stream.next() {
            switch event {
            case .data(_, let bytes):
                pending += bytes
                // Gather what the driver already wrote, up to one chunk, into one frame; if that
                // is less than a chunk, what it writes within `linger` too. A driver writing
                // line by line would otherwise cost a frame (and its syscalls) per line.
                var lingered = false
                while pending.count < Self.chunkBytes {
                    if let more = stream.nextIfReady() {
                        if case .data(_, let bytes) = more { pending += bytes; continue }
                        if case .end(let error) = more { end = error; await flush(); break reading }
                    }
                    if lingered { break }
                    lingered = true
                    await stream.waitUntilBuffered(Self.chunkBytes - pending.count, atMost: Self.linger)
                }
                await flush()
                if !linkUp {
                    stream.cancel()
                    _ = await stream.collect()
                    break reading
                }
            case .end(let error):
                end = error
                break reading
            }
        }
        streams.withLock { _ = $0.removeValue(forKey: requestID) }
        guard linkUp else {
            logger.info("log stream \(requestID) ended: the link went down")
            return
        }
        let message: Message
        switch end {
        case nil: message = AgentMessage.logEnd(requestId: requestID, reason: "completed")
        case let error? where error.code == .cancelled: message = AgentMessage.logEnd(requestId: requestID, reason: "cancelled")
        case let error?: message = AgentMessage.logEnd(requestId: requestID, reason: "error", error: error.message)
        }
        // Behind its chunks: the same lane keeps the order.
        _ = await outbox.sendBulk(message, bytes: 1)
    }
}
