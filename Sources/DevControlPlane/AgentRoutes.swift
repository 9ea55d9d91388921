import ControlPlaneProtocol
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOSSL

/// The agent-facing HTTP side: `POST /api/v1/agents/register` and the connect gate that runs
/// before every WebSocket upgrade. Same checks, order and answers as the real server.
struct AgentRoutes: Sendable {
    let store: ControlPlaneStore
    let limiter: RateLimiter

    func router() -> Router<ChannelRequestContext> {
        let router = Router(context: ChannelRequestContext.self)
        router.post(RouterPath(Registration.path)) { request, context in
            try await register(request, context: context)
        }
        // A connect request without the WebSocket upgrade headers: the gate's answer, else 400.
        router.get(RouterPath(Registration.connectPath)) { request, context in
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: request.uri.string,
                                       headers: HTTPHeaders(request.headers.map { ($0.name.rawName, $0.value) }))
            let commonName = await certificateCommonName(context.channel)
            switch await gate(head, peerIP: context.peerIP, certificateCommonName: commonName) {
            case .failure(let refusal): return Response.agentAnswer(refusal)
            case .success: return Response.json(400, #"{"error":"expected a WebSocket upgrade request"}"#)
            }
        }
        return router
    }

    private func register(_ request: Request, context: ChannelRequestContext) async throws -> Response {
        guard limiter.allow(context.peerIP) else { return Response.agentAnswer(.rateLimited) }
        var credentials = AgentCredentials(apiKey: request.headers[HTTPField.Name(Registration.apiKeyHeader)!])
        credentials.certificateCommonName = await certificateCommonName(context.channel)
        if credentials.certificateCommonName == nil {
            guard let key = credentials.apiKey else { return Response.agentAnswer(AgentAnswer(401, error: "missing X-Agent-API-Key header")) }
            guard AgentKeys.wellFormed(key) else { return Response.agentAnswer(AgentAnswer(401, error: "invalid API key format")) }
        } else if let key = credentials.apiKey, !AgentKeys.wellFormed(key) {
            credentials.apiKey = nil
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        switch RegistrationRequest.parse(Array(buffer: body)) {
        case .failure(let problem):
            return Response.agentAnswer(AgentAnswer(400, error: problem.message))
        case .success(let registration):
            return Response.agentAnswer(await store.register(registration, credentials: credentials))
        }
    }

    /// Decides a WebSocket upgrade: rate limit, path, then the store's key / agent / approval
    /// checks.
    func gate(_ head: HTTPRequestHead, peerIP: String, certificateCommonName: String?) async -> Result<AgentEndpointChannel.Accepted, AgentAnswer> {
        guard limiter.allow(peerIP) else { return .failure(.rateLimited) }
        let (path, query) = QueryString.split(head.uri)
        guard path == Registration.connectPath else { return .failure(AgentAnswer(404, error: "not found")) }
        guard head.method == .GET else { return .failure(AgentAnswer(405, error: "method not allowed")) }
        let agentId = QueryString.value("agent_id", in: query)
        let credentials = AgentCredentials(apiKey: head.headers.first(name: Registration.apiKeyHeader),
                                           certificateCommonName: certificateCommonName)
        if let refusal = await store.connectRefusal(agentId: agentId, credentials: credentials) {
            return .failure(refusal)
        }
        return .success(.init(agentId: AgentKeys.filtered(agentId ?? ""), peer: peerIP))
    }

    private func certificateCommonName(_ channel: any Channel) async -> String? {
        guard let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return certificate.subjectName.last { $0.type == .commonName }?.value
    }
}

/// Minimal query-string reading (`a=b&c=d`, percent-decoding, `+` as space).
enum QueryString {
    static func split(_ uri: String) -> (path: String, query: String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }

    static func value(_ name: String, in query: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if decode(parts[0]) == name { return parts.count > 1 ? decode(parts[1]) : "" }
        }
        return nil
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
