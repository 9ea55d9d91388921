/// The state of a session as the driver sees it on the platform.
public enum SessionState: String, Codable, Sendable, CaseIterable {
    case starting, running, hibernated, failed, terminated
}

/// A way into a session: a template port and, once reachable, its public URL.
public struct Endpoint: Codable, Sendable, Equatable {
    public var name: String
    /// The template's (container) port this endpoint serves.
    public var port: Int?
    /// Where a browser reaches it, e.g. "http://203.0.113.7:49153". Absent until reachable.
    public var url: String?
    /// Where the agent itself connects to it ("host:port"), when that is not `url`'s authority:
    /// a port published on every address is reported at its public name and dialled on
    /// loopback. The session tunnel dials only these addresses.
    public var dial: String?

    public init(name: String, port: Int? = nil, url: String? = nil, dial: String? = nil) {
        self.name = name
        self.port = port
        self.url = url
        self.dial = dial
    }
}

/// Docs/schemas/session-status.schema.json.
public struct SessionStatus: Codable, Sendable, Equatable {
    public var sessionId: String
    public var state: SessionState
    public var endpoints: [Endpoint]
    /// Platform names of what backs the session (container, pod, VM...), for people and the
    /// Control Plane's `platformMetadata`.
    public var platformMetadata: [String: JSONValue]
    /// Why the session failed, in words a person can act on.
    public var message: String?

    public init(sessionId: String, state: SessionState, endpoints: [Endpoint] = [],
                platformMetadata: [String: JSONValue] = [:], message: String? = nil) {
        self.sessionId = sessionId
        self.state = state
        self.endpoints = endpoints
        self.platformMetadata = platformMetadata
        self.message = message
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sessionId = try c.decode(String.self, forKey: .sessionId)
        state = try c.decode(SessionState.self, forKey: .state)
        endpoints = try c.decodeIfPresent([Endpoint].self, forKey: .endpoints) ?? []
        platformMetadata = try c.decodeIfPresent([String: JSONValue].self, forKey: .platformMetadata) ?? [:]
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}

public struct SessionList: Codable, Sendable, Equatable {
    public var sessions: [SessionStatus]
    public init(sessions: [SessionStatus]) { self.sessions = sessions }
}

public struct StopRequest: Codable, Sendable, Equatable {
    public var sessionId: String
    /// Also delete the session's persistent volumes (its home). Default: keep them.
    public var deleteVolumes: Bool

    public init(sessionId: String, deleteVolumes: Bool = false) {
        self.sessionId = sessionId
        self.deleteVolumes = deleteVolumes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sessionId = try c.decode(String.self, forKey: .sessionId)
        deleteVolumes = try c.decodeIfPresent(Bool.self, forKey: .deleteVolumes) ?? false
    }
}

/// What `describe` answers (Docs/schemas/describe.schema.json).
public struct DriverDescription: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    /// The StreamSpace platform to register as: kubernetes, docker, vm or cloud.
    public var platform: String
    public var vendor: String?
    public var description: String?

    public init(name: String, version: String, platform: String, vendor: String? = nil,
                description: String? = nil) {
        self.name = name
        self.version = version
        self.platform = platform
        self.vendor = vendor
        self.description = description
    }

    public static let streamSpacePlatforms = ["kubernetes", "docker", "vm", "cloud"]
}

public struct NodeMetrics: Codable, Sendable, Equatable {
    public var cpuCores: Double
    public var cpuUsedCores: Double
    public var memoryBytes: Int64
    public var memoryUsedBytes: Int64
    public var diskBytes: Int64
    public var diskUsedBytes: Int64

    public init(cpuCores: Double, cpuUsedCores: Double, memoryBytes: Int64, memoryUsedBytes: Int64,
                diskBytes: Int64, diskUsedBytes: Int64) {
        self.cpuCores = cpuCores
        self.cpuUsedCores = cpuUsedCores
        self.memoryBytes = memoryBytes
        self.memoryUsedBytes = memoryUsedBytes
        self.diskBytes = diskBytes
        self.diskUsedBytes = diskUsedBytes
    }
}

public struct SessionMetrics: Codable, Sendable, Equatable {
    public var sessionId: String
    public var cpuUsedCores: Double
    public var memoryBytes: Int64
    public var memoryUsedBytes: Int64

    public init(sessionId: String, cpuUsedCores: Double, memoryBytes: Int64, memoryUsedBytes: Int64) {
        self.sessionId = sessionId
        self.cpuUsedCores = cpuUsedCores
        self.memoryBytes = memoryBytes
        self.memoryUsedBytes = memoryUsedBytes
    }
}

public struct Health: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case healthy, degraded, unhealthy }
    public var status: Status
    public var detail: String?

    public init(_ status: Status, detail: String? = nil) {
        self.status = status
        self.detail = detail
    }
}

/// Docs/schemas/log-request.schema.json.
public struct LogRequest: Codable, Sendable, Equatable {
    public var sessionId: String
    public var follow: Bool
    public var tailLines: Int?
    /// RFC 3339; only lines written at or after it.
    public var sinceTime: String?

    public init(sessionId: String, follow: Bool = false, tailLines: Int? = nil, sinceTime: String? = nil) {
        self.sessionId = sessionId
        self.follow = follow
        self.tailLines = tailLines
        self.sinceTime = sinceTime
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sessionId = try c.decode(String.self, forKey: .sessionId)
        follow = try c.decodeIfPresent(Bool.self, forKey: .follow) ?? false
        tailLines = try c.decodeIfPresent(Int.self, forKey: .tailLines)
        sinceTime = try c.decodeIfPresent(String.self, forKey: .sinceTime)
    }
}
