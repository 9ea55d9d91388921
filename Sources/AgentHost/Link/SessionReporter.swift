import ControlPlaneProtocol
import DriverModel
import Logging

/// Tells the Control Plane the true state of every session: after each (re)connect, and
/// whenever the driver reports a change it saw by itself. Reads the platform off the link's
/// loops, so a slow driver delays no heartbeat.
struct SessionReporter: Sendable {
    let driver: Driver
    let cache: SessionCache
    let outbox: Outbox
    let logger: Logger

    /// Re-reads every session from the driver and sends a `status` for each.
    func reportAll(reason: String) async {
        do {
            let sessions = try await driver.sessions()
            cache.replaceAll(sessions)
            for status in sessions {
                if let message = CommandTranslation.statusMessage(status) { outbox.send(message) }
            }
            logger.info("reported \(sessions.count) session(s) to the Control Plane (\(reason))")
        } catch {
            logger.warning("could not list sessions from the driver: \(error)")
        }
    }

    /// Refreshes the cache, so activeSessions stays true between commands.
    func refresh() async {
        if let sessions = try? await driver.sessions() { cache.replaceAll(sessions) }
    }

    /// A change the driver observed by itself (a container died).
    func changed(_ status: SessionStatus) {
        cache.update(status)
        if let message = CommandTranslation.statusMessage(status) { outbox.send(message) }
    }
}
