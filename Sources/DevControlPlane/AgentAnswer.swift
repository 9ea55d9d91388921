import DriverModel

/// How a request proved who it is.
struct AgentCredentials: Sendable {
    /// The `X-Agent-API-Key` header, if any.
    var apiKey: String?
    /// The CN of a verified client certificate (mutual TLS), if any.
    var certificateCommonName: String?
}

enum Authentication: Equatable {
    case bootstrapKey, agentKey, certificate
}

/// An answer of the agent endpoints (registration result or refusal): status and JSON body.
struct AgentAnswer: Error, Sendable, Equatable {
    var status: Int
    var body: String

    init(_ status: Int, error: String) {
        self.status = status
        self.body = #"{"error":"# + JSONString.quote(error) + "}"
    }

    init(status: Int, body: String) {
        self.status = status
        self.body = body
    }

    static let rateLimited = AgentAnswer(status: 429, body: #"{"error":"rate limit exceeded","retryAfter":60}"#)
}

enum JSONString {
    static func quote(_ text: String) -> String { JSONValue.string(text).jsonString() }
}
