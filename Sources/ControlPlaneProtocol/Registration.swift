import DriverModel

/// `POST /api/v1/agents/register`: the body the agent sends and what each answer means.
public enum Registration {
    public static let path = "/api/v1/agents/register"
    public static let connectPath = "/api/v1/agents/connect"
    public static let apiKeyHeader = "X-Agent-API-Key"
    /// How often a pending agent asks again (the real server's guidance).
    public static let pendingRetrySeconds = 30.0

    public static func body(agentId: String, platform: String, region: String,
                            capacity: AgentMessage.Capacity, metadata: [String: JSONValue]) -> JSONValue {
        .object([
            "agentId": .string(agentId), "platform": .string(platform), "region": .string(region),
            "capacity": capacity.json, "metadata": .object(metadata),
        ])
    }

    public enum Outcome: Sendable, Equatable {
        /// 200: approved; connect now. Carries a new API key if the server issued one.
        case approved(newAPIKey: String?)
        /// 202: known but not yet approved; ask again later. May carry a key to keep.
        case pending(message: String, newAPIKey: String?)
        /// 403: an administrator rejected this agent. Stop.
        case rejected(message: String)
        /// 401: the key is wrong or missing. Stop: retrying cannot fix it.
        case unauthorized(message: String)
        /// 429: rate limited; wait this long.
        case rateLimited(retryAfterSeconds: Double)
        /// Anything else (404, 5xx, garbage): retry with backoff.
        case retry(reason: String)
    }

    /// Interprets a registration answer.
    public static func outcome(status: Int, body: [UInt8]) -> Outcome {
        let json = try? StrictJSON.parse(body)
        let message = json?["message"]?.stringValue ?? json?["error"]?.stringValue
        let apiKey = json?["apiKey"]?.stringValue ?? json?["agent"]?["apiKey"]?.stringValue
        switch status {
        case 200, 201, 202:
            let key = apiKey.flatMap { $0.isEmpty ? nil : $0 }
            switch json?["approvalStatus"]?.stringValue {
            case "pending"?:
                return .pending(message: message ?? "waiting for an administrator to approve this agent", newAPIKey: key)
            case "rejected"?:
                return .rejected(message: message ?? "an administrator rejected this agent")
            default:
                if status == 202 {
                    return .pending(message: message ?? "waiting for an administrator to approve this agent", newAPIKey: key)
                }
                return .approved(newAPIKey: key)
            }
        case 401:
            return .unauthorized(message: message ?? "the Control Plane refused the API key (401)")
        case 403:
            return .rejected(message: message ?? "an administrator rejected this agent (403)")
        case 429:
            // Honour the server's pause, within reason (an hour at most).
            let seconds = json?["retryAfter"]?.numberValue ?? 60
            return .rateLimited(retryAfterSeconds: min(3600, max(1, seconds)))
        default:
            let detail = message.map { ": \($0)" } ?? ""
            let advice = switch status {
            case 404, 405: "check that --control-plane-url points at the Control Plane"
            case 500...: "the Control Plane failed; check its log"
            default: "check the Control Plane's log"
            }
            return .retry(reason: "registration answered HTTP \(status)\(detail) — \(advice)")
        }
    }
}
