import ControlPlaneProtocol

/// Everything the Control Plane link needs, validated (see `AgentCLI.RunCommand`).
public struct LinkConfiguration: Sendable {
    /// ws:// or wss:// base URL of the Control Plane, e.g. wss://streamspace.example.com.
    public var controlPlaneURL: String
    public var agentID: String
    /// The bootstrap API key (64 hex), unless mutual TLS identifies the agent.
    public var apiKey: String?
    public var platform: String
    public var region: String
    public var capacity: AgentMessage.Capacity
    public var metadata: [String: String] = [:]
    public var heartbeatInterval: Duration = .seconds(15)
    /// WebSocket ping period; a ping without a pong by the next one closes the link. The real
    /// server closes links that send no ping or pong control frame for 60 s.
    public var pingInterval: Duration = .seconds(20)
    public var pendingRetryInterval: Duration = .seconds(Registration.pendingRetrySeconds)
    public var backoffBase: Double = 1
    public var backoffCap: Double = 60
    /// How long registering, and the WebSocket's upgrade, may wait for the Control Plane's
    /// answer (a server that takes connections and never answers is given up on).
    public var answerTimeout: Duration = .seconds(30)
    /// A connection that lived at least this long resets the backoff.
    public var stableConnection: Duration = .seconds(30)
    /// How long a start may stay "starting" before it is reported failed.
    public var startTimeout: Duration = .seconds(600)
    /// How often the agent re-reads every session from the driver (activeSessions, changes).
    public var refreshInterval: Duration = .seconds(30)
    /// How often a `metrics` message goes out, and how soon after connecting the first does.
    public var metricsInterval: Duration = .seconds(30)
    public var firstMetricsDelay: Duration = .seconds(2)
    /// How often the full `session_sync` goes out (besides one on every connect).
    public var syncInterval: Duration = .seconds(300)
    /// Log streams open at once, the bytes each may buffer from its driver before the driver
    /// is paused, and the log bytes queued for the Control Plane at once (all streams).
    public var maxLogStreams = 256
    public var logBufferBytes = 256 * 1024
    public var logQueueBytes = 1 << 20
    /// How the stock server's `vnc_data` is read (`--vnc-data-encoding`).
    public var vncDataEncoding = VNCDataEncoding.auto
    public var tls = TLSSettings()
    /// Where an API key issued by the server is kept (file `api-key`, mode 0600); nil: not kept.
    public var stateDirectory: String?
    /// What this host allows whatever the Control Plane asks (`--policy`).
    public var policy = LocalPolicy()
    /// A driver call that answers UNAVAILABLE is tried again this many times, after
    /// `transientRetryDelay` (doubling; or the driver's `retryAfterMs`). Permanent errors never are.
    public var transientRetries = 2
    public var transientRetryDelay: Duration = .seconds(1)
    /// Multi-driver mode: where a one-driver agent kept its key, and the agent id it was issued
    /// to (`--agent-id`). The driver agent of that id takes it over (APIKeyStore).
    public var inheritedKey: InheritedKey?

    public struct InheritedKey: Sendable, Equatable {
        public var directory: String
        public var owner: String
        public init(directory: String, owner: String) {
            self.directory = directory
            self.owner = owner
        }
    }

    /// The host-wide limits every driver link of this process shares; nil: only `capacity`.
    public var hostCapacity: HostCapacity?

    public struct TLSSettings: Sendable {
        public var caFile: String?
        public var clientCertificateFile: String?
        public var clientKeyFile: String?
        public var insecureSkipVerify = false
        public init() {}
    }

    public init(controlPlaneURL: String, agentID: String, apiKey: String?, platform: String, region: String,
                capacity: AgentMessage.Capacity) {
        self.controlPlaneURL = controlPlaneURL
        self.agentID = agentID
        self.apiKey = apiKey
        self.platform = platform
        self.region = region
        self.capacity = capacity
    }

    /// The HTTP base: ws→http, wss→https (the real agents' rule).
    public var httpBaseURL: String {
        if controlPlaneURL.hasPrefix("wss://") { return "https://" + controlPlaneURL.dropFirst(6).trimmingSuffix("/") }
        if controlPlaneURL.hasPrefix("ws://") { return "http://" + controlPlaneURL.dropFirst(5).trimmingSuffix("/") }
        return controlPlaneURL
    }

    public var isSecure: Bool { controlPlaneURL.hasPrefix("wss://") }

    /// The connect URL with the agent id, percent-encoded.
    public var connectURL: String {
        controlPlaneURL.trimmingSuffix("/") + Registration.connectPath + "?agent_id=" + Self.percentEncode(agentID)
    }

    /// Percent-encodes all but RFC 3986's unreserved characters: also a safe file name (no "/").
    public static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let isUnreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF")
                result += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return result
    }

    /// Every problem the real server would reject later, as one line each.
    public func problems() -> [String] {
        var problems: [String] = []
        if !(controlPlaneURL.hasPrefix("ws://") || controlPlaneURL.hasPrefix("wss://")) {
            problems.append("--control-plane-url must start with ws:// or wss:// (got \(controlPlaneURL.debugDescription))")
        }
        if let problem = AgentIdentity.agentIDProblem(agentID) { problems.append(problem) }
        if let apiKey, let problem = AgentIdentity.apiKeyProblem(apiKey) { problems.append(problem) }
        if apiKey == nil && tls.clientCertificateFile == nil {
            problems.append("no credentials: pass --api-key / --api-key-file / AGENT_API_KEY, or a client certificate (--client-cert, --client-key)")
        }
        if let problem = AgentIdentity.platformProblem(platform) { problems.append(problem) }
        if let problem = AgentIdentity.regionProblem(region) { problems.append(problem) }
        if capacity.maxSessions < 1 { problems.append("--max-sessions must be at least 1") }
        if (tls.clientCertificateFile == nil) != (tls.clientKeyFile == nil) {
            problems.append("--client-cert and --client-key go together")
        }
        if heartbeatInterval <= .zero || heartbeatInterval > .seconds(45) {
            problems.append("--heartbeat-interval must be between 1 and 45 seconds (the server marks an agent offline after 45 s)")
        }
        return problems
    }
}

extension StringProtocol {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = String(self)
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
