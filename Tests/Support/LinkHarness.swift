import AgentHost
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging
import Synchronization
import Testing

/// A dev control plane and an agent (with a driver) wired together in this process.
public final class LinkHarness: Sendable {
    public let controlPlane: DevControlPlane
    public let endpoints: DevControlPlaneEndpoints
    public let driver: Driver
    public let link: AgentLink
    public let logs: CapturedLogs
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    public let agentID: String
    public let apiKey: String

    /// Starts the control plane; the agent starts with `startAgent()`.
    public init(driverName: String = "mock", driverConfig: String = "{}", agentID: String = "agent-\(UInt32.random(in: 0...UInt32.max))",
         configure: (inout DevControlPlaneConfiguration) -> Void = { _ in },
         configureLink: (inout LinkConfiguration) -> Void = { _ in }) async throws {
        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = true
        configuration.pingInterval = .seconds(2)
        configure(&configuration)
        let logs = CapturedLogs()
        self.logs = logs
        self.apiKey = configuration.apiKey
        self.agentID = agentID
        controlPlane = DevControlPlane(configuration: configuration, logger: logs.logger("dev-control-plane"))
        endpoints = try await controlPlane.start()
        let library = try DriverLibrary.load(path: "\(ProcessEnvironment.executableDirectory()!)/lib\(driverName).so")
        driver = try await Driver.create(library, configuration: Array(driverConfig.utf8), logger: logs.logger("driver"))
        var link = LinkConfiguration(controlPlaneURL: endpoints.agentURL, agentID: agentID, apiKey: configuration.apiKey,
                                     platform: driver.description.platform, region: "test",
                                     capacity: .init(maxSessions: 10, cpu: "4", memory: "8Gi"))
        link.heartbeatInterval = .seconds(1)
        link.pingInterval = .seconds(2)
        link.pendingRetryInterval = .milliseconds(200)
        link.backoffBase = 0.05
        link.backoffCap = 0.5
        link.refreshInterval = .seconds(1)
        configureLink(&link)
        self.link = AgentLink(configuration: link, driver: driver, logger: logs.logger("agent"))
    }

    /// A harness whose agent has started and connected: the prologue of most link tests.
    public static func connected(driverName: String = "mock", driverConfig: String = "{}",
                                 configure: (inout DevControlPlaneConfiguration) -> Void = { _ in },
                                 configureLink: (inout LinkConfiguration) -> Void = { _ in }) async throws -> LinkHarness {
        let harness = try await LinkHarness(driverName: driverName, driverConfig: driverConfig,
                                            configure: configure, configureLink: configureLink)
        harness.startAgent()
        try await harness.waitUntilConnected()
        return harness
    }

    public func startAgent() {
        let link = self.link
        task.withLock { $0 = Task { try await link.run() } }
    }

    /// Waits for the agent's task to end and returns how it ended.
    public func agentOutcome(timeout: Duration = .seconds(20)) async -> Result<Void, any Error>? {
        guard let task = task.withLock({ $0 }) else { return nil }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if link.state == .stopped { return await task.result }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    public func waitUntilConnected(timeout: Duration = .seconds(20)) async throws {
        let id = agentID
        try await controlPlane.waitFor("agent \(id) connected", timeout: timeout) { $0.agent(id)?.connected == true }
    }

    @discardableResult
    public func waitFor(_ what: String, timeout: Duration = .seconds(20),
                 _ predicate: @escaping @Sendable (DevControlPlaneState) -> Bool) async throws -> DevControlPlaneState {
        try await controlPlane.waitFor(what, timeout: timeout, predicate)
    }

    /// Waits for a command to end in `state`; one that ends otherwise fails at once, saying how.
    public func waitForCommand(_ id: String, _ state: CommandState, timeout: Duration = .seconds(30)) async throws -> CommandRecord {
        let ended = try await waitFor("command \(id) \(state.rawValue)", timeout: timeout) {
            guard let command = $0.command(id) else { return false }
            return command.state == state || command.state == .completed || command.state == .failed
        }.command(id)!
        guard ended.state == state else { throw UnexpectedCommandOutcome(command: ended) }
        return ended
    }

    public struct UnexpectedCommandOutcome: Error, CustomStringConvertible {
        public var command: CommandRecord
        public var description: String {
            "\(command.action) \(command.commandId) ended \(command.state.rawValue): \(command.error ?? "no error")"
        }
    }

    /// Stops the agent as SIGTERM does (its task is cancelled); the control plane stays up.
    public func stopAgent() async {
        task.withLock { $0 }?.cancel()
        _ = await agentOutcome(timeout: .seconds(10))
    }

    /// Stops the agent (sessions stay) and the control plane; removes what the agent started.
    public func shutdown() async {
        await stopAgent()
        // Only this test's sessions: the mock's platform is shared by every test in the process.
        // (The agent reports every session it finds on that platform; stop only those this
        // control plane created.)
        for session in await controlPlane.state.sessions where session.agentId == agentID && session.origin != "agent" {
            _ = try? await driver.stop(StopRequest(sessionId: session.sessionId))
        }
        await driver.destroy()
        await controlPlane.stop()
    }

    /// No message the agent sent was dropped for strictness (types, timestamps, framing).
    public func expectNothingRejected(sourceLocation: SourceLocation = #_sourceLocation) async {
        let rejected = await controlPlane.state.rejected(from: agentID)
        #expect(rejected.isEmpty, "the control plane dropped: \(rejected.map { "\($0.type ?? "?"): \($0.reason)" })", sourceLocation: sourceLocation)
    }
}

/// Every log line of the test, from every logger made here, for assertions (no secret leaks).
public final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    public func append(_ line: String) { lines.withLock { $0.append(line) } }
    public var all: [String] { lines.withLock { $0 } }

    struct CapturingHandler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                 source: String, file: String, function: String, line: UInt) {
            let merged = metadata.merging(explicit ?? [:]) { _, new in new }
            sink.append("\(level) \(message) \(merged)")
        }
    }
}
