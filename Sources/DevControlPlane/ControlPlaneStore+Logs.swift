import ControlPlaneProtocol
import DriverModel

/// Logs on demand (extension, section 7): `logs_request` out, `log_chunk`s and one `log_end`
/// back, `logs_cancel` when the reader goes away.
public struct LogsRequest: Sendable, Equatable {
    public var follow: Bool
    public var tailLines: Int?
    /// RFC 3339.
    public var sinceTime: String?

    public init(follow: Bool = false, tailLines: Int? = nil, sinceTime: String? = nil) {
        self.follow = follow
        self.tailLines = tailLines
        self.sinceTime = sinceTime
    }
}

extension ControlPlaneStore {
    func requestLogs(sessionId: String, _ request: LogsRequest) throws(DevControlPlaneError) -> String {
        guard let session = sessions[sessionId] else { throw .unknownSession(sessionId) }
        if let since = request.sinceTime, RFC3339.parse(since) == nil {
            throw .invalidRequest("sinceTime \(since.debugDescription) is not RFC 3339")
        }
        if let tail = request.tailLines, tail < 0 { throw .invalidRequest("tailLines cannot be negative") }
        let requestId = "logs-" + RandomHex.bytes(8)
        var payload: [String: JSONValue] = [
            "requestId": .string(requestId), "sessionId": .string(sessionId), "follow": .bool(request.follow),
        ]
        if let tail = request.tailLines { payload["tailLines"] = .int(Int64(tail)) }
        if let since = request.sinceTime { payload["sinceTime"] = .string(since) }
        try sendMessage(Message(type: "logs_request", payload: .object(payload)), to: session.agentId)
        logs[requestId] = LogStreamRecord(
            requestId: requestId, sessionId: sessionId, agentId: session.agentId, follow: request.follow,
            tailLines: request.tailLines, requestedAt: RFC3339.now(), chunks: [], bytes: 0, droppedChunks: 0,
            ended: false, cancelled: false)
        return requestId
    }

    /// Sends `logs_cancel` unless the stream already ended. Never throws: a gone agent has
    /// nothing left to cancel.
    func cancelLogs(_ requestId: String) {
        guard var stream = logs[requestId], !stream.ended, !stream.cancelled else { return }
        stream.cancelled = true
        logs[requestId] = stream
        try? sendMessage(Message(type: "logs_cancel", payload: .object(["requestId": .string(requestId)])), to: stream.agentId)
    }

    func logStream(_ requestId: String) -> LogStreamRecord? { logs[requestId] }

    /// Whether a stream ended, and its size, without copying its chunks (cheap to poll).
    func logProgress(_ requestId: String) -> (ended: Bool, bytes: Int, chunks: Int)? {
        logs[requestId].map { ($0.ended, $0.bytes, $0.chunks.count + $0.droppedChunks) }
    }

    /// For a follower: the chunks after the first `delivered` ones (counted since the stream
    /// began, so chunks dropped by the bound are skipped), and whether the stream ended.
    func logChunks(_ requestId: String, after delivered: Int) -> (chunks: [LogChunk], total: Int, ended: Bool)? {
        guard let stream = logs[requestId] else { return nil }
        let total = stream.droppedChunks + stream.chunks.count
        let start = max(0, delivered - stream.droppedChunks)
        return (Array(stream.chunks.dropFirst(start)), total, stream.ended)
    }
}
