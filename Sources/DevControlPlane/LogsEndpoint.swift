import ControlPlaneProtocol
import Hummingbird
import NIOCore

/// `GET /sessions/{id}/logs?follow=&tailLines=&sinceTime=&timeout=`: sends `logs_request`.
/// Without follow, waits for `log_end` (or the timeout) and answers a `LogsResult`. With
/// follow, streams the text as it arrives until the agent ends it or the client goes away;
/// then sends `logs_cancel`.
struct LogsEndpoint {
    let store: ControlPlaneStore
    let configuration: DevControlPlaneConfiguration
    static let pollInterval = Duration.milliseconds(25)

    func respond(sessionId: String, query: Parameters, channel: any Channel) async throws(DevControlPlaneError) -> Response {
        let follow = query.get("follow").map { $0 == "true" || $0 == "1" } ?? false
        var tail: Int?
        if let text = query.get("tailLines") {
            guard let value = Int(text) else { throw .invalidRequest("tailLines must be an integer") }
            tail = value
        }
        var timeout = configuration.logRequestTimeout
        if let text = query.get("timeout") {
            guard let seconds = Double(text), seconds > 0 else { throw .invalidRequest("timeout must be a number of seconds") }
            timeout = .milliseconds(Int64(seconds * 1000))
        }
        let request = LogsRequest(follow: follow, tailLines: tail, sinceTime: query.get("sinceTime"))
        let requestId = try await store.requestLogs(sessionId: sessionId, request)
        if follow { return stream(requestId, channel: channel) }

        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if let record = await store.logStream(requestId), record.ended { return AdminJSON.response(LogsResult(stream: record, text: record.text)) }
            try? await Task.sleep(for: Self.pollInterval)
        }
        await store.cancelLogs(requestId)
        guard let record = await store.logStream(requestId) else { throw .timedOut("log request \(requestId)") }
        return AdminJSON.response(LogsResult(stream: record, text: record.text))
    }

    private func stream(_ requestId: String, channel: any Channel) -> Response {
        let store = self.store
        var response = Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody { writer in
            var delivered = 0
            let watcher = await ClientGoneWatcher.install(on: channel)
            do {
                while channel.isActive, watcher?.isGone != true, await !store.isStopping {
                    guard let update = await store.logChunks(requestId, after: delivered) else { break }
                    for chunk in update.chunks {
                        try await writer.write(ByteBuffer(string: chunk.decodedText))
                    }
                    delivered = update.total
                    if update.ended { break }
                    try await Task.sleep(for: Self.pollInterval)
                }
            } catch {
                // The client went away (write failed) or the server is stopping.
            }
            await store.cancelLogs(requestId)
            if let watcher { try? await channel.pipeline.removeHandler(watcher).get() }
            try? await writer.finish(nil)
        })
        response.headers[.init("X-Log-Request-Id")!] = requestId
        return response
    }
}
