import AsyncHTTPClient
import DriverModel
import FoundationEssentials
import NIOCore
import NIOHTTP1

/// A client of the dev control plane's admin API, for the CLI verbs and for tests that run
/// the control plane out of process. Every call throws `DevControlPlaneError.adminAPI` with the
/// server's message on an error status.
public struct DevControlPlaneClient: Sendable {
    public let adminURL: String
    private let http: HTTPClient
    public var timeout: TimeAmount

    public init(adminURL: String = "http://127.0.0.1:8081", httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.adminURL = adminURL.hasSuffix("/") ? String(adminURL.dropLast()) : adminURL
        self.http = httpClient
        self.timeout = timeout
    }

    // MARK: Agents

    public func agents() async throws -> [AgentRecord] { try await get("/agents") }
    public func agent(_ id: String) async throws -> AgentRecord { try await get("/agents/\(escape(id))") }
    @discardableResult public func approve(_ id: String) async throws -> AgentRecord { try await call(.POST, "/agents/\(escape(id))/approve") }
    @discardableResult public func reject(_ id: String) async throws -> AgentRecord { try await call(.POST, "/agents/\(escape(id))/reject") }

    // MARK: Sessions

    public func sessions() async throws -> [SessionRecord] { try await get("/sessions") }
    public func session(_ id: String) async throws -> SessionRecord { try await get("/sessions/\(escape(id))") }

    public func createSession(_ request: SessionRequest) async throws -> SessionCreated {
        try await call(.POST, "/sessions", body: AdminJSON.encode(request))
    }

    @discardableResult public func hibernate(_ id: String) async throws -> String {
        try await commandId(call(.POST, "/sessions/\(escape(id))/hibernate"))
    }

    @discardableResult public func wake(_ id: String) async throws -> String {
        try await commandId(call(.POST, "/sessions/\(escape(id))/wake"))
    }

    @discardableResult public func deleteSession(_ id: String, deletePVC: Bool = false) async throws -> String {
        try await commandId(call(.DELETE, "/sessions/\(escape(id))" + (deletePVC ? "?deletePVC=true" : "")))
    }

    // MARK: Commands

    @discardableResult
    public func send(action: String, payload: JSONValue, to agentId: String) async throws -> String {
        try await send(commands: [OutgoingCommand(action: action, payload: payload)], to: agentId)[0]
    }

    /// Queued together: one frame, `\n`-separated, when the server batches.
    @discardableResult
    public func send(commands: [OutgoingCommand], to agentId: String) async throws -> [String] {
        let body = JSONValue.object(["commands": .array(commands.map {
            .object(["action": .string($0.action), "payload": $0.payload])
        })]).jsonString()
        let sent: CommandsSent = try await call(.POST, "/agents/\(escape(agentId))/commands", body: body)
        return sent.commandIds
    }

    /// Text sent verbatim as one frame.
    public func sendRaw(_ frame: String, to agentId: String) async throws {
        let _: CommandsSent = try await call(.POST, "/agents/\(escape(agentId))/commands",
                                             body: JSONValue.object(["raw": .string(frame)]).jsonString())
    }

    /// A recorded command sent again under its own id.
    public func resend(commandId: String) async throws {
        let _: CommandsSent = try await call(.POST, "/commands/\(escape(commandId))/resend")
    }

    public func commands(agentId: String? = nil, state: CommandState? = nil) async throws -> [CommandRecord] {
        var query: [String] = []
        if let agentId { query.append("agentId=\(escape(agentId))") }
        if let state { query.append("state=\(state.rawValue)") }
        return try await get("/commands" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
    }

    // MARK: Observations

    public func metrics() async throws -> [MetricsRecord] { try await get("/metrics") }
    public func sessionSyncs() async throws -> [SessionSyncRecord] { try await get("/session-syncs") }
    public func events() async throws -> [EventRecord] { try await get("/events") }
    public func state() async throws -> DevControlPlaneState { try await get("/state") }

    public func rejected(agentId: String? = nil) async throws -> [RejectedMessage] {
        try await get("/rejected" + (agentId.map { "?agentId=\(escape($0))" } ?? ""))
    }

    // MARK: Logs

    /// Asks for a session's logs and waits for the agent's `log_end` (or `timeoutSeconds`).
    public func logs(sessionId: String, tailLines: Int? = nil, sinceTime: String? = nil,
                     timeoutSeconds: Double? = nil) async throws -> LogsResult {
        var query = ["follow=false"]
        if let tailLines { query.append("tailLines=\(tailLines)") }
        if let sinceTime { query.append("sinceTime=\(escape(sinceTime))") }
        if let timeoutSeconds { query.append("timeout=\(timeoutSeconds)") }
        return try await get("/sessions/\(escape(sessionId))/logs?" + query.joined(separator: "&"))
    }

    /// Follows a session's logs: calls `onText` with text as it arrives until it answers
    /// false, the agent ends the stream, or the task is cancelled. Leaving disconnects; the
    /// server then sends `logs_cancel` to the agent.
    public func followLogs(sessionId: String, tailLines: Int? = nil,
                           _ onText: @escaping @Sendable (String) async throws -> Bool) async throws {
        let url = adminURL + "/sessions/\(escape(sessionId))/logs?follow=true" + (tailLines.map { "&tailLines=\($0)" } ?? "")
        let http = self.http
        let (texts, continuation) = AsyncThrowingStream.makeStream(of: String.self)
        // The request runs in its own task, so that stopping cancels it while it waits for the
        // next chunk: that closes the connection (merely dropping the body would not).
        let request = Task {
            do {
                let response = try await http.execute(HTTPClientRequest(url: url), timeout: .hours(24))
                guard response.status == .ok else {
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throw DevControlPlaneClient.failure(status: Int(response.status.code), body: body)
                }
                for try await buffer in response.body { continuation.yield(String(buffer: buffer)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        defer { request.cancel() }
        try await withTaskCancellationHandler {
            for try await text in texts {
                guard try await onText(text) else { return }
            }
        } onCancel: {
            request.cancel()
        }
    }

    // MARK: Plumbing

    /// Any call, answering the JSON as it came (the CLI prints it).
    public func requestJSON(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> JSONValue {
        let bytes = try await perform(method, path, body: body)
        return try JSONValue(parsing: Array(buffer: bytes))
    }

    private func get<T: Decodable>(_ path: String) async throws -> T { try await call(.GET, path) }

    private func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> T {
        let bytes = try await perform(method, path, body: body)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes.readableBytesView))
        } catch {
            throw DevControlPlaneError.adminAPI(status: 200, message: "unexpected answer from \(path): \(error)")
        }
    }

    private func perform(_ method: HTTPMethod, _ path: String, body: String?) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: adminURL + path)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw DevControlPlaneError.adminAPI(status: 0, message: "cannot reach the admin API at \(adminURL): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Self.failure(status: Int(response.status.code), body: bytes)
        }
        return bytes
    }

    private static func failure(status: Int, body: ByteBuffer) -> DevControlPlaneError {
        let json = try? JSONValue(parsing: Array(buffer: body))
        let message = json?["error"]?.stringValue ?? String(buffer: body)
        return .adminAPI(status: status, message: message.isEmpty ? "HTTP \(status)" : message)
    }

    private func commandId(_ sent: CommandsSent) -> String { sent.commandIds.first ?? "" }

    private func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            out += safe ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return out
    }
}
