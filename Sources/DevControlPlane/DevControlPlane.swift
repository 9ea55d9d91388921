import ControlPlaneProtocol
import DriverModel
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Where a running dev control plane listens.
public struct DevControlPlaneEndpoints: Sendable, Equatable {
    /// The base agents are configured with: `ws://host:port` or `wss://host:port`.
    public var agentURL: String
    /// The same base for HTTP: `http://host:port` or `https://host:port`.
    public var agentHTTPURL: String
    /// The admin API: `http://127.0.0.1:port`.
    public var adminURL: String
    public var agentPort: Int
    public var adminPort: Int
    /// The viewer: `http://127.0.0.1:port`; a running session is at `viewerURL(sessionId:)`.
    public var viewerURL: String
    public var viewerPort: Int

    /// Where a person (or a browser test) opens a running session: its viewer port, through
    /// the session tunnel.
    public func viewerURL(sessionId: String) -> String { viewerURL + "/sessions/" + percentEncoded(sessionId) + "/" }

    /// `POST` here to register.
    public var registerURL: String { agentHTTPURL + Registration.path }

    /// The WebSocket URL of one agent.
    public func connectURL(agentId: String) -> String {
        agentURL + Registration.connectPath + "?agent_id=" + percentEncoded(agentId)
    }

    private func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            out += safe ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return out
    }
}

/// A StreamSpace Control Plane for development and tests: the real server's agent endpoints
/// (register, connect) with the same strictness, our extension messages, and an admin API.
///
/// ```swift
/// let cp = DevControlPlane(configuration: .forTesting())
/// let endpoints = try await cp.start()
/// // ... point an agent (or a raw client) at endpoints.agentURL ...
/// try await cp.approve(agentId: "agent-1")
/// try await cp.waitFor("agent-1 connected") { $0.agent("agent-1")?.connected == true }
/// let created = try await cp.createSession(SessionRequest(user: "alice", template: "firefox"))
/// await cp.stop()
/// ```
public final class DevControlPlane: Sendable {
    public let configuration: DevControlPlaneConfiguration
    let store: ControlPlaneStore
    private let logger: Logger
    private let run = Mutex<RunState>(RunState())

    private struct Running: Sendable {
        var group: ServiceGroup
        var task: Task<Void, Never>
    }

    private struct RunState {
        var running: [Running] = []
        var viewer: Task<Void, Never>?
        var endpoints: DevControlPlaneEndpoints?
    }

    public init(configuration: DevControlPlaneConfiguration, logger: Logger = Logger(label: "dev-control-plane")) {
        self.configuration = configuration
        self.logger = logger
        self.store = ControlPlaneStore(configuration: configuration, logger: logger)
    }

    /// Where it listens, once started.
    public var endpoints: DevControlPlaneEndpoints? { run.withLock { $0.endpoints } }

    // MARK: Lifecycle

    /// Binds both ports and answers where they are. Throws when the configuration is invalid
    /// or a port cannot be bound.
    @discardableResult
    public func start() async throws -> DevControlPlaneEndpoints {
        if let endpoints { return endpoints }
        if let problem = configuration.problem() { throw DevControlPlaneError.invalidConfiguration(problem) }
        await store.markRunning()
        let limiter = RateLimiter(perMinute: configuration.rateLimitPerMinute)
        let agentPort = try await launch("agent endpoint") { onRunning in
            try ServerFactory.agentApplication(store: store, limiter: limiter, configuration: configuration,
                                               logger: logger, onRunning: onRunning)
        }
        let adminPort: Int
        do {
            adminPort = try await launch("admin API") { onRunning in
                ServerFactory.adminApplication(store: store, configuration: configuration, logger: logger, onRunning: onRunning)
            }
        } catch {
            await stop()
            throw error
        }
        let viewerPort: Int
        do {
            let viewer = try await ViewerServer(host: configuration.viewerHost, port: configuration.viewerPort,
                                                opener: TunnelOpener(store: store), logger: logger).start()
            run.withLock { $0.viewer = viewer.task }
            viewerPort = viewer.port
        } catch {
            await stop()
            throw DevControlPlaneError.invalidConfiguration("the viewer could not start: \(error)")
        }
        let secure = configuration.tls != nil
        let agentHost = Self.urlHost(configuration.host)
        let endpoints = DevControlPlaneEndpoints(
            agentURL: "\(secure ? "wss" : "ws")://\(agentHost):\(agentPort)",
            agentHTTPURL: "\(secure ? "https" : "http")://\(agentHost):\(agentPort)",
            adminURL: "http://\(Self.urlHost(configuration.adminHost)):\(adminPort)",
            agentPort: agentPort, adminPort: adminPort,
            viewerURL: "http://\(Self.urlHost(configuration.viewerHost)):\(viewerPort)", viewerPort: viewerPort)
        run.withLock { $0.endpoints = endpoints }
        logger.info("dev control plane running", metadata: ["agent": "\(endpoints.agentURL)", "admin": "\(endpoints.adminURL)", "viewer": "\(endpoints.viewerURL)"])
        return endpoints
    }

    /// Runs one application in the background; answers its bound port once it listens.
    private func launch<App: ApplicationProtocol>(_ what: String, _ make: (@escaping @Sendable (any Channel) async -> Void) throws -> App) async throws -> Int {
        let (ports, continuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self, bufferingPolicy: .bufferingNewest(1))
        let app = try make { channel in
            continuation.yield(.success(channel.localAddress?.port ?? 0))
        }
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task {
            do {
                try await group.run()
            } catch {
                continuation.yield(.failure(DevControlPlaneError.invalidConfiguration("the \(what) could not start: \(error)")))
            }
            continuation.finish()
        }
        run.withLock { $0.running.append(Running(group: group, task: task)) }
        var iterator = ports.makeAsyncIterator()
        guard let result = await iterator.next() else {
            throw DevControlPlaneError.invalidConfiguration("the \(what) stopped before it listened")
        }
        return try result.get()
    }

    /// Closes every agent connection and both servers (gracefully, then by cancellation after
    /// a few seconds). Safe to call more than once.
    public func stop() async {
        await store.markStopping()
        for connection in await store.openConnections() {
            connection.close(.goingAway, reason: "the control plane is stopping")
        }
        let (running, viewer) = run.withLock { state -> ([Running], Task<Void, Never>?) in
            let running = state.running
            state.running = []
            state.endpoints = nil
            defer { state.viewer = nil }
            return (running, state.viewer)
        }
        viewer?.cancel()
        await viewer?.value
        for server in running { await server.group.triggerGracefulShutdown() }
        for server in running {
            let finished = await withTaskGroup(of: Bool.self) { race in
                race.addTask { await server.task.value; return true }
                race.addTask { try? await Task.sleep(for: .seconds(3)); return false }
                let first = await race.next() ?? false
                race.cancelAll()
                return first
            }
            if !finished {
                server.task.cancel()
                await server.task.value
            }
        }
    }

    private static func urlHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }
}
