import ControlPlaneProtocol
import DriverModel
import Logging

/// Runs the Control Plane's commands against the driver.
///
/// - `ack` goes out at once, before any work.
/// - Work runs in its own task, never on the connection's reader: a two-minute start delays
///   neither pongs nor heartbeats.
/// - At most one operation per session at a time (in arrival order); sessions run in parallel.
/// - A command id seen before is not executed again: its verdict is repeated if known. With a
///   journal (`--state-dir`) this holds across a crash too: see `CommandJournal`.
/// - Every command ends with a `status` (the session's true state, when it can be known) and
///   then `complete` or `failed` with a message a person can act on.
actor CommandExecutor {
    private let driver: Driver
    private let outbox: Outbox
    private let cache: SessionCache
    private let logger: Logger
    private let startTimeout: Duration
    private let statistics: LinkStatistics
    private let policy: LocalPolicy
    private let retries: Int
    private let retryDelay: Duration
    /// The host's limits, shared with the other drivers' links; nil: none.
    private let hostCapacity: HostCapacity?

    /// The last operation queued for each session: the next one waits for it.
    private var tails: [String: (number: UInt64, task: Task<Void, Never>)] = [:]
    private var operations: UInt64 = 0
    private var recent = RecentCommands(capacity: 4096)
    private let journal: CommandJournal?

    init(driver: Driver, outbox: Outbox, cache: SessionCache, logger: Logger, startTimeout: Duration,
         statistics: LinkStatistics, policy: LocalPolicy = LocalPolicy(), retries: Int = 0, retryDelay: Duration = .seconds(1),
         hostCapacity: HostCapacity? = nil, journal: CommandJournal? = nil) {
        self.journal = journal
        self.policy = policy
        self.retries = retries
        self.retryDelay = retryDelay
        self.hostCapacity = hostCapacity
        self.statistics = statistics
        self.driver = driver
        self.outbox = outbox
        self.cache = cache
        self.logger = logger
        self.startTimeout = startTimeout
    }

    /// Takes a command from the reader. Returns at once.
    func receive(_ command: Command) {
        guard admit(command.commandId) else { return }
        TestCrashPoint.reached("\(command.action):after-ack")
        let earlier = journal?.entry(command.commandId)
        guard Command.actions.contains(command.action) else {
            finish(command.commandId, [AgentMessage.failed(commandId: command.commandId,
                                                 error: "unknown action \(command.action.debugDescription); this agent handles \(Command.actions.joined(separator: ", "))")])
            return
        }
        let sessionID: String
        do {
            sessionID = try CommandTranslation.sessionID(command.payload, action: command.action)
        } catch {
            finish(command.commandId, [AgentMessage.failed(commandId: command.commandId, error: "\(command.action): \(error.message)")])
            return
        }
        chain(command, sessionID) {
            if let earlier { return await self.answerFromEarlierRun(command, sessionID: sessionID, earlier) }
            await self.journalBegin(command, sessionID)
            let replies = await self.execute(command, sessionID: sessionID)
            TestCrashPoint.reached("\(command.action):after-driver")
            return replies
        }
    }

    /// Runs a command's work after the session's earlier operations. Detached from the actor:
    /// the work (driver call, status) runs on the pool, and only the bookkeeping at the end
    /// comes back here.
    private func chain(_ command: Command, _ sessionID: String, _ work: @escaping @Sendable () async -> [Message]) {
        let previous = tails[sessionID]?.task
        operations += 1
        let number = operations
        let task = Task.detached {
            await previous?.value
            let replies = await work()
            await self.journalVerdict(command, sessionID, replies)
            await self.finish(command, replies, releasing: sessionID, number)
        }
        tails[sessionID] = (number, task)
    }

    /// After a restart: answers every command the last run began and never finished — from the
    /// session's true state, as a repeat of it would be — without waiting for the Control Plane
    /// to send it again. Called on every connect; only the first finds any.
    func answerInterruptedCommands() {
        for (commandID, entry) in journal?.interrupted ?? [] {
            guard case .unknown = recent.lookup(commandID) else { continue }
            recent.begin(commandID)
            let command = Command(commandId: commandID, action: entry.action, payload: .object(["sessionId": .string(entry.sessionID)]))
            logger.notice("command \(commandID) (\(entry.action) \(entry.sessionID)) was cut short by the agent's last stop; answering it from the session's state")
            chain(command, entry.sessionID) {
                await self.answerInterrupted(command, sessionID: entry.sessionID, action: entry.action)
            }
        }
    }

    /// Answers a command that cannot be run as sent (its envelope or payload is unreadable, or
    /// it is too large) with `failed` and the reason — once, as any command.
    func refuse(_ commandId: String, reason: String) {
        guard admit(commandId) else { return }
        finish(commandId, [AgentMessage.failed(commandId: commandId, error: reason)])
    }

    /// Acknowledges a command; false when it was seen before (its answer, if known, is repeated).
    private func admit(_ commandId: String) -> Bool {
        outbox.send(AgentMessage.ack(commandId: commandId))
        switch recent.lookup(commandId) {
        case .inProgress:
            logger.info("command \(commandId) is already running; not running it twice")
            return false
        case .finished(let replies):
            logger.info("command \(commandId) was already done; repeating its answer")
            replies.forEach(outbox.send)
            return false
        case .unknown:
            recent.begin(commandId)
            return true
        }
    }

    private func finish(_ command: Command, _ replies: [Message], releasing sessionID: String, _ number: UInt64) {
        finish(command.commandId, replies)
        release(sessionID, number)
    }

    private func finish(_ commandId: String, _ replies: [Message]) {
        replies.forEach(outbox.send)
        // A repeat gets the verdict again, not the status: that may be stale by then (the
        // session's true state is reported on reconnect and on every change).
        recent.finish(commandId, replies: replies.filter { $0.type != "status" })
    }

    /// The session's chain is done unless a later operation joined it meanwhile.
    private func release(_ sessionID: String, _ number: UInt64) {
        if tails[sessionID]?.number == number { tails[sessionID] = nil }
    }

    /// Waits until every queued operation has finished (for shutdown and tests).
    /// Sessions with an operation in flight or queued.
    func busySessions() -> Set<String> { Set(tails.keys) }

    func drain() async {
        while let (_, tail) = tails.first {
            await tail.task.value
        }
    }


    // MARK: Actions

    nonisolated private func execute(_ command: Command, sessionID: String) async -> [Message] {
        let started = ContinuousClock.now
        let result: Result<SessionStatus, DriverError>
        switch command.action {
        case "start_session":
            switch admitStart(command.payload) {
            case .success(let spec): result = await start(spec)
            case .failure(let refusal): return refused(command, sessionID, refusal)
            }
        case "stop_session":
            switch Result(catching: { () throws(DriverError) in try CommandTranslation.stopRequest(command.payload) }) {
            case .success(let request): result = await retrying(command.action, sessionID) { try await self.driver.stop(request) }
            case .failure(let refusal): return refused(command, sessionID, refusal)
            }
        case "hibernate_session": result = await retrying(command.action, sessionID) { try await self.driver.hibernate(sessionID) }
        case "wake_session": result = await retrying(command.action, sessionID) { try await self.driver.wake(sessionID) }
        default: result = .failure(DriverError(.unsupported, "unknown action"))
        }
        let elapsed = ContinuousClock.now - started
        statistics.command(command.action, outcome: (try? result.get()) == nil ? "failed" : "completed", took: elapsed)
        switch result {
        case .success(let status):
            cache.update(status)
            logger.info("\(command.action) \(sessionID): \(status.state.rawValue) in \(Int((elapsed.seconds * 1000).rounded())) ms")
            return completed(command, sessionID, status)
        case .failure(let error):
            logger.warning("\(command.action) \(sessionID) failed: \(error)")
            var replies: [Message] = []
            if let truth = await trueState(of: sessionID, after: command.action, error: error) {
                cache.update(truth)
                if let message = CommandTranslation.statusMessage(truth) { replies.append(message) }
            }
            replies.append(AgentMessage.failed(commandId: command.commandId, error: explain(command.action, sessionID, error)))
            return replies
        }
    }

    /// The replies to a command that did what it asked: the status, then `complete`.
    nonisolated private func completed(_ command: Command, _ sessionID: String, _ status: SessionStatus) -> [Message] {
        var status = status
        status.sessionId = sessionID
        return [CommandTranslation.statusMessage(status),
                AgentMessage.complete(commandId: command.commandId,
                                      result: CommandTranslation.completeResult(action: command.action, status))].compactMap { $0 }
    }

    /// The spec of a start, once it decoded strictly and this host's policy allows it.
    nonisolated private func admitStart(_ payload: JSONValue) -> Result<SessionSpec, DriverError> {
        let spec: SessionSpec
        do {
            spec = try CommandTranslation.sessionSpec(fromStart: payload)
        } catch {
            return .failure(error)
        }
        if let violation = policy.violation(spec) {
            return .failure(DriverError(.failedPrecondition, "refused by this host's policy: \(violation)"))
        }
        return .success(spec)
    }

    /// A command refused before the driver was asked (unreadable, or against the policy): a start
    /// leaves the session failed; other commands changed nothing, so no status is claimed.
    nonisolated private func refused(_ command: Command, _ sessionID: String, _ error: DriverError) -> [Message] {
        logger.warning("\(command.action) \(sessionID) refused: \(error.message)")
        statistics.command(command.action, outcome: "failed", took: .zero)
        var replies: [Message] = []
        if command.action == "start_session",
           let status = CommandTranslation.statusMessage(SessionStatus(sessionId: sessionID, state: .failed, message: error.message)) {
            replies.append(status)
        }
        replies.append(AgentMessage.failed(commandId: command.commandId, error: "\(command.action) \(sessionID): \(error.code.name): \(error.message)"))
        return replies
    }

    nonisolated private func start(_ spec: SessionSpec) async -> Result<SessionStatus, DriverError> {
        // Within the host's limits (HostCapacity), or refused before the driver sees it.
        var result = await HostCapacity.admitting(spec, driver: driver.description.name, in: hostCapacity) {
            await self.retrying("start_session", spec.id) { try await self.driver.start(spec) }
        }
        if case .failure(let error) = result, error.code == .timeout {
            // A timeout says nothing of the outcome: look before deciding (the header, TIMEOUT).
            result = await capture { try await self.driver.session(spec.id) }
            if case .failure = result { result = .failure(error) }
        }
        // A platform that keeps working on it: wait, bounded, until it runs or fails.
        let deadline = ContinuousClock.now + startTimeout
        while case .success(let status) = result, status.state == .starting {
            guard ContinuousClock.now < deadline else {
                return .failure(DriverError(.timeout, "the session was still starting after \(startTimeout)"))
            }
            try? await Task.sleep(for: .seconds(1))
            result = await capture { try await self.driver.session(spec.id) }
        }
        if case .success(let status) = result, status.state == .failed {
            return .failure(DriverError(.failedPrecondition, status.message ?? "the session failed to start"))
        }
        return result
    }

    /// Runs a driver operation, and again after a pause while it answers UNAVAILABLE (the only
    /// code that says the same call may pass soon); every other error is final at once. The
    /// operations are idempotent per session id, so a repeat is safe.
    nonisolated private func retrying(_ action: String, _ sessionID: String,
                                      _ body: @Sendable () async throws -> SessionStatus) async -> Result<SessionStatus, DriverError> {
        var delay = retryDelay
        var result = await capture(body)
        for attempt in 0..<retries {
            guard case .failure(let error) = result, error.code == .unavailable, !Task.isCancelled else { break }
            let pause = error.retryAfterMs.map { Duration.milliseconds(min(max($0, 0), 60_000)) } ?? delay
            logger.notice("\(action) \(sessionID): \(error.code.name): \(error.message); trying again in \(pause) (retry \(attempt + 1) of \(retries))")
            try? await Task.sleep(for: pause)
            delay *= 2
            result = await capture(body)
        }
        return result
    }

    nonisolated private func capture(_ body: @Sendable () async throws -> SessionStatus) async -> Result<SessionStatus, DriverError> {
        do {
            return .success(try await body())
        } catch let error as DriverError {
            return .failure(error)
        } catch {
            return .failure(DriverError(.internal, "\(error)"))
        }
    }

    /// After a failure, what is really there: the server must not be told a session failed
    /// when it still runs, nor that it runs when it is gone.
    nonisolated private func trueState(of sessionID: String, after action: String, error: DriverError) async -> SessionStatus? {
        do {
            return try await driver.session(sessionID)
        } catch let lookup {
            guard lookup.isNotFound else { return nil }  // the platform cannot say: report nothing false
            return action == "start_session"
                ? SessionStatus(sessionId: sessionID, state: .failed, message: error.message)
                : SessionStatus(sessionId: sessionID, state: .terminated)
        }
    }

    nonisolated private func explain(_ action: String, _ sessionID: String, _ error: DriverError) -> String {
        let retry = error.isRetryable ? " (temporary: the Control Plane may retry)" : ""
        // Redacted here too, before any cut to fit the frame could split a secret.
        return outbox.redactor.redact("\(action) \(sessionID): \(driver.description.name): \(error.code.name): \(error.message)\(retry)")
    }
}

// MARK: Across restarts

extension CommandExecutor {
    /// On disk before the driver is called: after a crash the command is known to have begun.
    nonisolated private func journalBegin(_ command: Command, _ sessionID: String) async {
        guard let journal else { return }
        if let error = await journal.record(.begun(commandID: command.commandId, action: command.action, sessionID: sessionID)) {
            logger.error("\(error); if the agent dies now, command \(command.commandId) may run again after the restart")
        }
        TestCrashPoint.reached("\(command.action):after-journal-begin")
    }

    /// The verdict, on disk before it is sent (a repeat after a crash gets it again).
    nonisolated private func journalVerdict(_ command: Command, _ sessionID: String, _ replies: [Message]) async {
        let verdict = replies.filter { $0.type != "status" }
        if let journal, let error = await journal.record(.finished(commandID: command.commandId, action: command.action,
                                                                   sessionID: sessionID, replies: verdict)) {
            logger.error("\(error); a repeat of command \(command.commandId) after a restart will be answered from the session's state")
        }
        TestCrashPoint.reached("\(command.action):before-verdict")
    }

    /// A command seen by the agent before it restarted. Done then: its verdict again, after the
    /// session's status as it is now (the crash may have come before the status went out).
    nonisolated private func answerFromEarlierRun(_ command: Command, sessionID: String, _ earlier: JournalIndex.Entry) async -> [Message] {
        guard let verdict = earlier.verdict else { return await answerInterrupted(command, sessionID: sessionID, action: earlier.action) }
        logger.info("command \(command.commandId) was done before the agent restarted; repeating its answer")
        var truth: SessionStatus?
        do {
            truth = try await driver.session(sessionID)
        } catch let error where error.isNotFound {
            let failedStart = earlier.action == "start_session" && verdict.contains { $0.type == "failed" }
            truth = SessionStatus(sessionId: sessionID, state: failedStart ? .failed : .terminated)
        } catch {
            truth = nil  // the platform cannot say: report nothing false
        }
        if let truth { cache.update(truth) }
        return [truth.flatMap(CommandTranslation.statusMessage)].compactMap { $0 } + verdict
    }

    /// A command that was running when the agent died, seen again: it is not run blindly a second
    /// time (it may have done part of its work, and a later command may have changed the session
    /// since); the session's true state answers it. If the session is where the command meant to
    /// take it, the command is `complete`; otherwise it is `failed` as temporary, so the Control
    /// Plane may send it again — which is safe, as every driver is idempotent per session.
    nonisolated private func answerInterrupted(_ command: Command, sessionID: String, action: String) async -> [Message] {
        let goal: [String: SessionState] = ["start_session": .running, "wake_session": .running,
                                            "hibernate_session": .hibernated, "stop_session": .terminated]
        let interrupted = DriverError(.unavailable, "the agent restarted while this command ran, and it was not run again")
        guard let truth = await trueState(of: sessionID, after: action, error: interrupted) else {
            logger.warning("command \(command.commandId) (\(action) \(sessionID)) was interrupted by a restart, and the driver cannot say what the session is now")
            return [AgentMessage.failed(commandId: command.commandId, error: explain(action, sessionID, interrupted))]
        }
        cache.update(truth)
        if truth.state == goal[action] {
            logger.info("command \(command.commandId) (\(action) \(sessionID)) was interrupted by a restart; the session is \(truth.state.rawValue), as asked: answering complete without running it again")
            return completed(command, sessionID, truth)
        }
        logger.warning("command \(command.commandId) (\(action) \(sessionID)) was interrupted by a restart; the session is \(truth.state.rawValue): answering failed without running it again")
        let error = DriverError(.unavailable, "the agent restarted while this command ran; the session is now \(truth.state.rawValue), and the command was not run again")
        return [CommandTranslation.statusMessage(truth),
                AgentMessage.failed(commandId: command.commandId, error: explain(action, sessionID, error))].compactMap { $0 }
    }
}

/// Command ids seen lately and the answers they got, bounded (oldest forgotten first).
struct RecentCommands {
    enum Entry {
        case unknown
        case inProgress
        case finished([Message])
    }

    let capacity: Int
    private var entries: [String: [Message]?] = [:]
    /// Ids in arrival order, as a ring: the oldest is at `oldest` once the ring is full.
    private var order: [String] = []
    private var oldest = 0

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ id: String) -> Entry {
        guard let entry = entries[id] else { return .unknown }
        return entry.map(Entry.finished) ?? .inProgress
    }

    mutating func begin(_ id: String) {
        entries[id] = .some(nil)
        if order.count < capacity {
            order.append(id)
        } else {
            entries[order[oldest]] = nil
            order[oldest] = id
            oldest = (oldest + 1) % capacity
        }
    }

    mutating func finish(_ id: String, replies: [Message]) {
        if entries[id] != nil { entries[id] = .some(replies) }
    }
}
