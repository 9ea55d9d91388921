import DriverModel
import DriverSDK
import Synchronization

/// A small in-memory platform written in Swift, through the SDK: the template a Swift vendor
/// copies, and the proof that a Swift driver and a C driver can live in one agent process.
///
/// Config: `{"hibernate": "disk" | "none", "startDelayMs": 0, "publicHost": "127.0.0.1"}`.
final class SampleDriver: StreamSpaceDriver {
    let description = DriverDescription(
        name: "sample", version: "1.0.0", platform: "docker", vendor: "StreamSpace",
        description: "In-memory sample platform written in Swift with the driver SDK")
    let capabilities: DriverCapabilities
    private let host: DriverHost
    private let startDelayMs: Int
    private let publicHost: String

    required init(configuration: JSONValue, host: DriverHost) throws {
        let config = configuration.objectValue ?? [:]
        for key in config.keys where !["hibernate", "startDelayMs", "publicHost"].contains(key) {
            throw DriverError(.invalidArgument, "sample: unknown config key \"\(key)\"")
        }
        var capabilities: DriverCapabilities = [.sessionMetrics, .nodeMetrics, .logs, .logsFollow]
        switch config["hibernate"]?.stringValue ?? "disk" {
        case "disk": capabilities.insert(.hibernateDisk)
        case "none": break
        default: throw DriverError(.invalidArgument, "sample: \"hibernate\" must be \"disk\" or \"none\"")
        }
        guard let delay = config["startDelayMs"].map({ $0.intValue }) ?? 0, delay >= 0 else {
            throw DriverError(.invalidArgument, "sample: \"startDelayMs\" must be a whole number ≥ 0")
        }
        self.capabilities = capabilities
        self.startDelayMs = Int(delay)
        self.publicHost = config["publicHost"]?.stringValue ?? "127.0.0.1"
        self.host = host
        host.log(.debug, "sample driver created")
    }

    func health() async -> Health { Health(.healthy, detail: "in-memory platform") }

    func start(_ spec: SessionSpec) async throws -> SessionStatus {
        guard !spec.template.image.isEmpty else {
            throw DriverError(.invalidArgument, "sample: template.image is empty")
        }
        if let existing = Platform.sessions.withLock({ $0[spec.id] }) { return existing.status }
        if startDelayMs > 0 { try await Task.sleep(for: .milliseconds(startDelayMs)) }
        return Platform.sessions.withLock { sessions in
            if let existing = sessions[spec.id] { return existing.status }
            let session = Platform.Session(spec: spec, state: .running,
                                           endpoints: Platform.endpoints(for: spec, host: publicHost))
            sessions[spec.id] = session
            return session.status
        }
    }

    func stop(_ request: StopRequest) async throws -> SessionStatus {
        Platform.sessions.withLock { _ = $0.removeValue(forKey: request.sessionId) }
        return SessionStatus(sessionId: request.sessionId, state: .terminated)
    }

    func session(_ id: String) async throws -> SessionStatus {
        guard let session = Platform.sessions.withLock({ $0[id] }) else {
            throw DriverError(.notFound, "sample: no session \(id)")
        }
        return session.status
    }

    func sessions() async throws -> [SessionStatus] {
        Platform.sessions.withLock { $0.values.map(\.status) }.sorted { $0.sessionId < $1.sessionId }
    }

    func hibernate(_ id: String) async throws -> SessionStatus {
        try requireHibernation()
        return try transition(id, to: .hibernated) { _ in [] }
    }

    func wake(_ id: String) async throws -> SessionStatus {
        try requireHibernation()
        return try transition(id, to: .running) { Platform.endpoints(for: $0.spec, host: publicHost) }
    }

    /// An instance configured without hibernation says so, although its table has the members
    /// (the header: hosts go by capability bits).
    private func requireHibernation() throws {
        guard capabilities.canHibernate else {
            throw DriverError(.unsupported, "sample: this instance was configured with \"hibernate\": \"none\"")
        }
    }

    func nodeMetrics() async throws -> NodeMetrics {
        let running = Platform.sessions.withLock { $0.values.filter { $0.state == .running }.count }
        return NodeMetrics(cpuCores: 4, cpuUsedCores: Double(running) * 0.1, memoryBytes: 8 << 30,
                           memoryUsedBytes: Int64(running) << 27, diskBytes: 100 << 30, diskUsedBytes: 1 << 30)
    }

    func sessionMetrics(_ id: String) async throws -> SessionMetrics {
        let session = try await session(id)
        let running = session.state == .running
        return SessionMetrics(sessionId: id, cpuUsedCores: running ? 0.1 : 0,
                              memoryBytes: 2 << 30, memoryUsedBytes: running ? 1 << 27 : 0)
    }

    /// Three lines, then (when following) one line every 50 ms until cancelled.
    func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws {
        _ = try await session(request.sessionId)
        var lineNumber = 0
        let backlog = 3
        let first = max(0, backlog - (request.tailLines ?? backlog))
        for line in first..<backlog {
            lineNumber = line + 1
            try await writer.write("sample \(request.sessionId) line \(lineNumber)\n")
        }
        while request.follow {
            try await Task.sleep(for: .milliseconds(50))
            lineNumber += 1
            try await writer.write("sample \(request.sessionId) line \(lineNumber)\n")
        }
    }

    private func transition(_ id: String, to state: SessionState,
                            endpoints: (Platform.Session) -> [Endpoint]) throws -> SessionStatus {
        try Platform.sessions.withLock { sessions in
            guard var session = sessions[id] else { throw DriverError(.notFound, "sample: no session \(id)") }
            if session.state != state {
                session.state = state
                session.endpoints = endpoints(session)
                sessions[id] = session
            }
            return session.status
        }
    }
}

/// The "platform": process-wide, so a new driver instance finds the sessions again (R10).
enum Platform {
    struct Session: Sendable {
        var spec: SessionSpec
        var state: SessionState
        var endpoints: [Endpoint]

        var status: SessionStatus {
            SessionStatus(sessionId: spec.id, state: state, endpoints: endpoints,
                          platformMetadata: ["workloadName": .string("sample-\(spec.id)")])
        }
    }

    static let sessions = Mutex<[String: Session]>([:])
    private static let nextPort = Atomic<Int>(41000)

    static func endpoints(for spec: SessionSpec, host: String) -> [Endpoint] {
        spec.template.ports.map { port in
            let hostPort = nextPort.add(1, ordering: .relaxed).newValue
            return Endpoint(name: port.name, port: port.port, url: "http://\(host):\(hostPort)")
        }
    }
}
