import Hummingbird
import NIOCore

/// A request context that keeps the connection's channel: the client IP (rate limit), the
/// client certificate (mutual TLS) and, on the admin API, whether a streaming client left.
struct ChannelRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    var peerIP: String { channel.remoteAddress?.ipAddress ?? "unknown" }
}

extension Response {
    /// A JSON answer with a status.
    static func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func agentAnswer(_ refusal: AgentAnswer) -> Response {
        var response = json(refusal.status, refusal.body)
        if refusal.status == 429 { response.headers[.retryAfter] = "60" }
        return response
    }
}
