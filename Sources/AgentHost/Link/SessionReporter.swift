import ControlPlaneProtocol
import DriverModel
import Logging
import Synchronization

/// Tells the Control Plane the true state of every session: a `status` for each and a full
/// `session_sync` after each (re)connect, a `session_sync` every sync interval, and a `status`
/// for every change the agent sees by itself — the driver's events, and differences found when
/// it re-reads the platform (a container that died, a VM stopped by hand, a session removed
/// while the agent was away). Reads the platform off the link's loops, so a slow driver delays
/// no heartbeat.
final class SessionReporter: Sendable {
    let driver: Driver
    let cache: SessionCache
    let outbox: Outbox
    let logger: Logger
    /// Sessions with a command in flight: their changes are the command's to report.
    private let busy: @Sendable () async -> Set<String>
    private let revision = Atomic<Int>(0)
    /// The driver's events, in the order it sent them (it calls from its own threads).
    private let events: AsyncStream<SessionStatus>
    private let eventSink: AsyncStream<SessionStatus>.Continuation
    /// Sessions reported gone by an event since the last connect: a link that was dying as the
    /// news went out may have lost it, so the next connect says it again.
    private let goneByEvent = Mutex<Set<String>>([])

    init(driver: Driver, cache: SessionCache, outbox: Outbox, logger: Logger,
         busy: @escaping @Sendable () async -> Set<String>) {
        self.driver = driver
        self.cache = cache
        self.outbox = outbox
        self.logger = logger
        self.busy = busy
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Sessions a previous run of the agent left on the platform (its command journal says so):
    /// those gone by the next connect are reported gone then, as if an event had said so.
    func reportIfGone(_ ids: Set<String>) {
        goneByEvent.withLock { $0.formUnion(ids) }
    }

    /// After a (re)connect: re-read every session, send a status for each (and `terminated`
    /// for those gone since the last look), then the full list.
    func reportAll(reason: String) async {
        let version = cache.version
        do {
            let sessions = try await driver.sessions()
            // A command may have changed a session while the list was read: the list's view of
            // it is older than the cache's, and the command reports it (no false "gone").
            let busy = await busy().union(cache.changed(since: version))
            let goneSinceLastConnect = goneByEvent.withLock { gone in
                defer { gone = [] }
                return gone
            }
            let gone = Set(cache.all.map(\.sessionId)).union(goneSinceLastConnect)
                .subtracting(sessions.map(\.sessionId)).subtracting(busy)
            cache.replaceAll(sessions, keeping: busy, changedSince: version)
            for status in sessions where !busy.contains(status.sessionId) {
                if let message = CommandTranslation.statusMessage(status) { outbox.send(message) }
            }
            for id in gone.sorted() { reportGone(id) }
            sendSync(sessions)
            logger.info("reported \(sessions.count) session(s) to the Control Plane (\(reason))")
        } catch {
            logger.warning("could not list sessions from the driver: \(error)")
        }
    }

    /// The full list, every sync interval.
    func sync() async {
        do {
            let version = cache.version
            let sessions = try await driver.sessions()
            await apply(sessions, readSince: version)
            sendSync(sessions)
        } catch {
            logger.warning("could not list sessions from the driver for session_sync: \(error)")
        }
    }

    /// Re-reads the platform: keeps activeSessions true and reports what changed by itself.
    func refresh() async {
        let version = cache.version
        guard let sessions = try? await driver.sessions() else { return }
        await apply(sessions, readSince: version)
    }

    /// A change the driver observed by itself (a container died). Called from the driver's
    /// threads: it is queued, and `reportEvents` reports it.
    func changed(_ status: SessionStatus) {
        eventSink.yield(status)
    }

    /// Reports the driver's events until cancelled. An event is taken as news that a session
    /// changed, and the session is read again, as a refresh would: a platform's events come late
    /// and may describe a step of the agent's own work (a container stopped on its way to being
    /// removed), which must not reach the Control Plane as a failure. A session with a command
    /// in flight, or touched by one while it was read, is left to that command; a state the
    /// agent already holds is not reported twice.
    func reportEvents() async {
        for await event in events {
            let id = event.sessionId
            guard !(await busy().contains(id)) else { continue }
            let version = cache.version
            let status: SessionStatus
            do {
                status = try await driver.session(id)
            } catch let error where error.isNotFound {
                status = SessionStatus(sessionId: id, state: .terminated)
            } catch {
                logger.debug("session \(id): the driver reported a change, and reading it failed: \(error)")
                continue
            }
            guard !(await busy().contains(id)), !cache.changed(since: version).contains(id) else { continue }
            guard Self.isNews(status, after: cache.status(of: id)) else { continue }
            // While the link is down the Control Plane hears nothing: the cache keeps what it was
            // last told, so the report after reconnecting finds the change (a session gone).
            guard outbox.isAttached else { continue }
            if status.state == .terminated { goneByEvent.withLock { _ = $0.insert(id) } }
            let known = cache.status(of: id)
            cache.update(status)
            if let message = CommandTranslation.statusMessage(status, after: known) { outbox.send(message) }
            logger.info("session \(id) is now \(status.state.rawValue)\(status.message.map { ": \($0)" } ?? "") (driver event)")
        }
    }

    /// Compares a fresh list with what the agent knew, reports the differences, keeps the list.
    /// Sessions a command is working on, or changed since the list was read, are left alone.
    private func apply(_ sessions: [SessionStatus], readSince version: Int) async {
        let busy = await busy().union(cache.changed(since: version))
        let known = Dictionary(cache.all.map { ($0.sessionId, $0) }, uniquingKeysWith: { _, last in last })
        for status in sessions where !busy.contains(status.sessionId) {
            let before = known[status.sessionId]
            if Self.isNews(status, after: before) {
                if let message = CommandTranslation.statusMessage(status, after: before) { outbox.send(message) }
                if before != nil {
                    logger.info("session \(status.sessionId) is now \(status.state.rawValue)\(status.message.map { ": \($0)" } ?? "")")
                }
            }
        }
        let listed = Set(sessions.map(\.sessionId))
        for id in known.keys.sorted() where !listed.contains(id) && !busy.contains(id) { reportGone(id) }
        cache.replaceAll(sessions, keeping: busy, changedSince: version)
    }

    /// Whether `status` tells the Control Plane something it was not told: `known` is what it
    /// was last told (nil: nothing). The same rule for driver events and for re-reads.
    static func isNews(_ status: SessionStatus, after known: SessionStatus?) -> Bool {
        if status.state == .terminated { return known != nil }  // the end of a session it never heard of is not news
        return known?.state != status.state || known?.endpoints != status.endpoints
    }

    private func reportGone(_ id: String) {
        logger.info("session \(id) is gone from the platform")
        outbox.send(AgentMessage.status(sessionId: id, state: "terminated", vncReady: false, vncPort: 0,
                                        platformMetadata: ["message": .string("the session no longer exists on the platform")]))
    }

    private func sendSync(_ sessions: [SessionStatus]) {
        let number = revision.add(1, ordering: .relaxed).newValue
        for message in AgentMessage.sessionSync(revision: number, sessions: sessions) { outbox.send(message) }
    }
}
