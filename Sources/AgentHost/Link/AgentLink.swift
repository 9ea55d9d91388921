import AsyncHTTPClient
import ControlPlaneProtocol
import DriverModel
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The agent's main job as a service: register, connect, take commands, report — and on any
/// failure re-register and reconnect with jittered backoff, forever. Sessions keep running
/// through any outage; after each reconnect every session's true state is reported.
public final class AgentLink: Service, Sendable {
    public enum State: String, Sendable, CaseIterable {
        case registering, pendingApproval, connecting, connected, waiting, stopped
    }

    private let configuration: LinkConfiguration
    private let driver: Driver
    private let logger: Logger
    private let outbox: Outbox
    private let cache = SessionCache()
    private let executor: CommandExecutor
    private let reporter: SessionReporter
    private let logs: LogForwarder
    private let metrics: MetricsReporter
    private let traffic: SessionTraffic
    private let currentKey: Mutex<String?>
    private let stateBox = Mutex(State.stopped)
    /// Connections made and commands run, for the agent's own metrics.
    public let statistics = LinkStatistics()

    /// `redactor` takes the link's secrets (the key in use, any key the server issues) out of
    /// every line it logs and every message it sends; share the process's one.
    public init(configuration: LinkConfiguration, driver: Driver, logger: Logger, redactor: Redactor = Redactor()) {
        self.configuration = configuration
        self.driver = driver
        let stored = configuration.stateDirectory.map {
            APIKeyStore(directory: $0, agentID: configuration.agentID).load(inherited: configuration.inheritedKey)
        }
        redactor.add(configuration.apiKey)
        redactor.add(stored?.key)
        var logger = logger.redacting(with: redactor)
        logger[metadataKey: "agent"] = .string(configuration.agentID)
        self.logger = logger
        let outbox = Outbox(logger: logger, bulkLimit: configuration.logQueueBytes, redactor: redactor)
        self.outbox = outbox
        let journal = CommandJournal.forStateDirectory(configuration.stateDirectory, logger: logger)
        self.executor = CommandExecutor(driver: driver, outbox: outbox, cache: cache, logger: logger,
                                        startTimeout: configuration.startTimeout, statistics: statistics,
                                        policy: configuration.policy, retries: configuration.transientRetries,
                                        retryDelay: configuration.transientRetryDelay, hostCapacity: configuration.hostCapacity,
                                        journal: journal)
        configuration.hostCapacity?.attach(driver: driver.description.name, sessions: cache)
        let executor = self.executor
        self.reporter = SessionReporter(driver: driver, cache: cache, outbox: outbox, logger: logger,
                                        busy: { await executor.busySessions() })
        reporter.reportIfGone(journal?.sessionsLeftExisting ?? [])
        self.logs = LogForwarder(driver: driver, outbox: outbox, logger: logger, maxStreams: configuration.maxLogStreams,
                                 bufferBytes: configuration.logBufferBytes)
        self.metrics = MetricsReporter(driver: driver, cache: cache, outbox: outbox, logger: logger)
        self.traffic = SessionTraffic(outbox: outbox, cache: cache, logger: logger, encoding: configuration.vncDataEncoding)
        switch stored?.finding {
        case .issuedToAnother(let owner):
            logger.warning("the key stored in \(configuration.stateDirectory ?? "")/api-key was issued to agent \(owner), not \(configuration.agentID); using the bootstrap key")
        case .migrated(let from):
            logger.notice("took over the key agent \(configuration.agentID) stored in \(from) before it ran several drivers; now kept in \(configuration.stateDirectory ?? "")/api-key")
        case .unreadable(let problem):
            logger.warning("\(problem); using the bootstrap key")
        case .ok?, nil:
            break
        }
        self.currentKey = Mutex(stored?.key ?? configuration.apiKey)
        driver.onSessionChanged { [reporter] status in reporter.changed(status) }
    }

    public var state: State { stateBox.withLock { $0 } }

    public var configurationAgentID: String { configuration.agentID }
    public var driverName: String { driver.description.name }

    /// Sessions the agent knows of, by state.
    public var sessionsByState: [String: Int] {
        Dictionary(grouping: cache.all, by: { $0.state.rawValue }).mapValues(\.count)
    }

    /// Log streams being forwarded now.
    public var activeLogStreams: Int { logs.activeStreams }

    /// The most log bytes ever queued for the Control Plane at once (bounded by the config).
    public var peakQueuedLogBytes: Int { outbox.peakBulkBytes }

    private func set(_ state: State) { stateBox.withLock { $0 = state } }

    /// Runs until cancelled (graceful shutdown) or until the Control Plane refuses the agent for
    /// good (401, 403), which throws `LinkError.refused`.
    public func run() async throws {
        let tls = configuration.isSecure ? try configuration.tls.clientConfiguration(logger: logger) : nil
        var httpConfiguration = HTTPClient.Configuration()
        if let tls { httpConfiguration.tlsConfiguration = tls }
        httpConfiguration.timeout = .init(connect: .seconds(10), read: TimeAmount(configuration.answerTimeout))
        // A Control Plane that refuses connections is reported at once and retried with the
        // link's own backoff, not retried silently by the pool until the connect timeout.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let registration = RegistrationClient(configuration: configuration, httpClient: httpClient)

        logger.info("agent \(configuration.agentID) (\(configuration.platform), driver \(driver.description.name)) connecting to \(configuration.controlPlaneURL)")
        let outcome: Result<Void, any Error>
        do {
            // Graceful shutdown (SIGTERM) cancels the link; sessions keep running on the platform.
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.refreshLoop() }
                    group.addTask {
                        await self.reporter.reportEvents()
                        try Task.checkCancellation()
                    }
                    group.addTask { try await self.linkLoop(registration, tls) }
                    try await group.next()
                    group.cancelAll()
                }
            }
            outcome = .success(())
        } catch is CancellationError {
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        set(.stopped)
        outbox.detach()
        await executor.drain()
        try? await httpClient.shutdown()
        try outcome.get()
    }

    private func refreshLoop() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: configuration.refreshInterval)
            await reporter.refresh()
        }
    }

    private func linkLoop(_ registration: RegistrationClient, _ tls: TLSConfiguration?) async throws {
        var backoff = Backoff(baseSeconds: configuration.backoffBase, capSeconds: configuration.backoffCap)
        while !Task.isCancelled {
            set(.registering)
            let outcome = await registration.register(apiKey: currentKey.withLock { $0 },
                                                      timeout: TimeAmount(configuration.answerTimeout))
            try Task.checkCancellation()  // shutting down: whatever registration answered is moot
            switch outcome {
            case .approved(let newKey):
                if let newKey { try adopt(newKey) }
                backoff = try await connectOnce(backoff, tls)
            case .pending(let message, let newKey):
                if let newKey { try adopt(newKey) }
                set(.pendingApproval)
                logger.notice("registration pending: \(message); asking again in \(configuration.pendingRetryInterval)")
                try await Task.sleep(for: configuration.pendingRetryInterval)
            case .rejected(let message):
                // The server's words, redacted: the error outlives this link (the CLI prints it).
                throw LinkError.refused(outbox.redactor.redact("the Control Plane rejected agent \(configuration.agentID): \(message) — ask its administrator to approve this agent"))
            case .unauthorized(let message):
                throw LinkError.refused(outbox.redactor.redact("the Control Plane refused the API key: \(message) — check --api-key (it is not shown here)"))
            case .rateLimited(let seconds):
                set(.waiting)
                logger.warning("registration rate-limited; waiting \(seconds) s as the Control Plane asks")
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            case .retry(let reason):
                set(.waiting)
                let delay = backoff.next()
                logger.warning("\(reason); retrying in \(format(delay)) s")
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            }
        }
    }

    /// One connection attempt and its life; returns the backoff to use next.
    private func connectOnce(_ backoff: Backoff, _ tls: TLSConfiguration?) async throws -> Backoff {
        var backoff = backoff
        set(.connecting)
        let connection = LinkConnection(configuration: configuration, apiKey: currentKey.withLock { $0 },
                                        tlsConfiguration: tls, outbox: outbox, executor: executor,
                                        cache: cache, reporter: reporter, logs: logs, metrics: metrics, traffic: traffic, logger: logger)
        let opened = Mutex<ContinuousClock.Instant?>(nil)
        let reason: String
        do {
            let ending = try await connection.run {
                opened.withLock { $0 = .now }
                self.statistics.connected()
                self.set(.connected)
                self.logger.info("connected to the Control Plane")
                // Once connected, so that their statuses go out too (only verdicts wait).
                Task { await self.executor.answerInterruptedCommands() }
            }
            reason = "the link to the Control Plane is down: \(ending)"
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            reason = "cannot open the link to the Control Plane at \(configuration.controlPlaneURL): \(LinkFailureWording.explain(error))"
        }
        try Task.checkCancellation()
        if let opened = opened.withLock({ $0 }), ContinuousClock.now - opened >= configuration.stableConnection {
            backoff.reset()
        }
        set(.waiting)
        let delay = backoff.next()
        logger.warning("\(reason); reconnecting in \(format(delay)) s")
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        return backoff
    }

    private func adopt(_ key: String) throws {
        // A secret from now on, even one this agent will not use.
        outbox.redactor.add(key)
        guard AgentIdentity.apiKeyProblem(key) == nil else {
            logger.warning("the Control Plane issued an API key that is not 64 hex characters; keeping the current one")
            return
        }
        currentKey.withLock { $0 = key }
        if let directory = configuration.stateDirectory {
            try APIKeyStore(directory: directory, agentID: configuration.agentID).save(key)
            logger.notice("the Control Plane issued this agent its own API key; saved in \(directory)/api-key")
        } else {
            logger.notice("the Control Plane issued this agent its own API key; using it (no --state-dir to keep it in)")
        }
    }

    private func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
