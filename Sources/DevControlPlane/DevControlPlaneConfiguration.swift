import ControlPlaneProtocol

/// Everything a dev control plane can be told. The defaults are the real server's figures;
/// tests shrink the timings and the rate limit so that they run in seconds.
public struct DevControlPlaneConfiguration: Sendable {
    /// Where agents connect (`/api/v1/agents/register`, `/api/v1/agents/connect`).
    public var host: String
    /// 0 picks a free port; `DevControlPlane.start()` answers the one bound.
    public var port: Int
    /// Where the admin API listens: loopback only unless told otherwise.
    public var adminHost: String
    public var adminPort: Int
    /// Where the viewer serves running sessions (`/sessions/<id>/`, through the session
    /// tunnel): loopback only unless told otherwise; port 0 picks a free one.
    public var viewerHost = "127.0.0.1"
    public var viewerPort = 0
    /// The bootstrap key agents present in `X-Agent-API-Key`: exactly 64 hex characters.
    public var apiKey: String
    /// Approve new agents on first registration (200 instead of 202).
    public var autoApprove: Bool
    /// Hand each agent its own key in the approval answer (`apiKey`), accepted from then on.
    public var issueAgentKeys: Bool
    /// Serve the agent endpoints over TLS (wss/https), optionally requiring client certificates.
    public var tls: TLS?
    /// How often the server sends a WebSocket ping control frame (real server: 54 s).
    public var pingInterval: Duration
    /// Close a connection when no ping or pong control frame came from the agent for this long
    /// (real server: 60 s). Data frames do not count.
    public var pongTimeout: Duration
    /// An agent without a JSON heartbeat for this long is shown offline (real server: 45 s).
    public var heartbeatTimeout: Duration
    /// Requests per minute per client IP on the agent routes (real server: 60). 0 disables.
    public var rateLimitPerMinute: Int
    /// Join messages that are queued together into one frame, separated by `\n`, as the real
    /// server does. Off: one message per frame.
    public var batchOutgoing: Bool
    /// How long the writer waits after the first queued message to gather more into the same
    /// frame. Zero (the real server) batches only what is already queued; tests set a few
    /// milliseconds to force batching.
    public var batchWindow: Duration
    /// Split each outgoing text frame into fragments of at most this many bytes (a text frame
    /// and continuation frames), to prove agents reassemble them. Nil: whole frames.
    public var fragmentBytes: Int? = nil
    /// Messages that may wait for the writer per connection (the real server's send buffer);
    /// more and the connection is closed, as the real server drops an agent that does not
    /// keep up. 0: no limit.
    public var sendBufferSize: Int
    /// Close this many fresh connections right after they open (the real server's reconnect
    /// race), to test an agent's reconnect loop.
    public var closeFreshConnections: Int
    /// The largest inbound message; a larger one closes the connection (real server: 512 KiB).
    public var maxMessageBytes: Int
    /// Defaults for sessions created without a template manifest.
    public var defaultImage: String
    public var defaultPort: Int
    public var namespace: String
    /// How long a non-follow log request waits for the agent's `log_end`.
    public var logRequestTimeout: Duration
    /// Upper bound on the bytes kept per log request (older chunks are dropped first).
    public var maxLogBytesPerRequest: Int
    /// Upper bounds on the kept history (oldest dropped first).
    public var maxRejected: Int
    public var maxEvents: Int
    public var maxCommands: Int

    public struct TLS: Sendable {
        /// PEM certificate chain and private key of the server.
        public var certificateFile: String
        public var privateKeyFile: String
        /// PEM CA bundle: when set, every client must present a certificate signed by it
        /// (mutual TLS); a certificate whose CN equals the agent id stands in for the API key.
        public var clientCAFile: String?

        public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.clientCAFile = clientCAFile
        }
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        adminHost: String = "127.0.0.1",
        adminPort: Int = 8081,
        apiKey: String,
        autoApprove: Bool = false,
        issueAgentKeys: Bool = false,
        tls: TLS? = nil,
        pingInterval: Duration = .seconds(54),
        pongTimeout: Duration = .seconds(60),
        heartbeatTimeout: Duration = .seconds(45),
        rateLimitPerMinute: Int = 60,
        batchOutgoing: Bool = true,
        batchWindow: Duration = .zero,
        sendBufferSize: Int = 256,
        closeFreshConnections: Int = 0,
        maxMessageBytes: Int = 512 * 1024,
        defaultImage: String = "lscr.io/linuxserver/firefox:latest",
        defaultPort: Int = 3000,
        namespace: String = "streamspace",
        logRequestTimeout: Duration = .seconds(10),
        maxLogBytesPerRequest: Int = 4 * 1024 * 1024,
        maxRejected: Int = 1000,
        maxEvents: Int = 2000,
        maxCommands: Int = 5000
    ) {
        self.host = host
        self.port = port
        self.adminHost = adminHost
        self.adminPort = adminPort
        self.apiKey = apiKey
        self.autoApprove = autoApprove
        self.issueAgentKeys = issueAgentKeys
        self.tls = tls
        self.pingInterval = pingInterval
        self.pongTimeout = pongTimeout
        self.heartbeatTimeout = heartbeatTimeout
        self.rateLimitPerMinute = rateLimitPerMinute
        self.batchOutgoing = batchOutgoing
        self.batchWindow = batchWindow
        self.sendBufferSize = sendBufferSize
        self.closeFreshConnections = closeFreshConnections
        self.maxMessageBytes = maxMessageBytes
        self.defaultImage = defaultImage
        self.defaultPort = defaultPort
        self.namespace = namespace
        self.logRequestTimeout = logRequestTimeout
        self.maxLogBytesPerRequest = maxLogBytesPerRequest
        self.maxRejected = maxRejected
        self.maxEvents = maxEvents
        self.maxCommands = maxCommands
    }

    /// Settings for tests: ephemeral ports, a fresh random key, and everything else as given.
    public static func forTesting(apiKey: String = RandomHex.key()) -> DevControlPlaneConfiguration {
        DevControlPlaneConfiguration(port: 0, adminPort: 0, apiKey: apiKey)
    }

    /// Nil when usable, else what is wrong, in one sentence.
    public func problem() -> String? {
        if let problem = AgentIdentity.apiKeyProblem(apiKey) { return "--api-key: \(problem)" }
        if !(0...65535).contains(port) { return "the agent port \(port) is not a TCP port" }
        if !(0...65535).contains(viewerPort) { return "the viewer port \(viewerPort) is not a TCP port" }
        if !(0...65535).contains(adminPort) { return "the admin port \(adminPort) is not a TCP port" }
        if pingInterval <= .zero { return "the ping interval must be positive" }
        if pongTimeout <= .zero { return "the pong timeout must be positive" }
        if rateLimitPerMinute < 0 { return "the rate limit cannot be negative" }
        if sendBufferSize < 0 { return "the send buffer size cannot be negative" }
        if closeFreshConnections < 0 { return "--close-fresh-connections cannot be negative" }
        if maxMessageBytes < 1024 { return "the largest message must be at least 1 KiB" }
        return nil
    }
}

extension DevControlPlaneConfiguration: CustomStringConvertible {
    /// Everything but the key: configurations end up in logs.
    public var description: String {
        "DevControlPlaneConfiguration(agent: \(host):\(port), admin: \(adminHost):\(adminPort), apiKey: <redacted>, "
            + "autoApprove: \(autoApprove), issueAgentKeys: \(issueAgentKeys), tls: \(tls == nil ? "off" : tls?.clientCAFile == nil ? "on" : "mutual"), "
            + "pingInterval: \(pingInterval), pongTimeout: \(pongTimeout), heartbeatTimeout: \(heartbeatTimeout), "
            + "rateLimitPerMinute: \(rateLimitPerMinute), batchOutgoing: \(batchOutgoing), batchWindow: \(batchWindow), "
            + "sendBufferSize: \(sendBufferSize), closeFreshConnections: \(closeFreshConnections))"
    }
}
