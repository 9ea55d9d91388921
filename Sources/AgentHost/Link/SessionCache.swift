import DriverModel
import Synchronization

/// The agent's view of the sessions on its platform: filled from the driver's list and kept
/// current by command results and driver events, so heartbeats and reports never wait on the
/// platform.
final class SessionCache: Sendable {
    private let sessions = Mutex<[String: SessionStatus]>([:])

    func replaceAll(_ list: [SessionStatus]) {
        sessions.withLock { $0 = Dictionary(list.map { ($0.sessionId, $0) }, uniquingKeysWith: { _, last in last }) }
    }

    func update(_ status: SessionStatus) {
        sessions.withLock { sessions in
            if status.state == .terminated {
                sessions[status.sessionId] = nil
            } else {
                sessions[status.sessionId] = status
            }
        }
    }

    /// Sessions that hold platform resources now: running or on their way.
    var activeCount: Int {
        sessions.withLock { $0.values.filter { $0.state == .running || $0.state == .starting }.count }
    }

    var all: [SessionStatus] {
        sessions.withLock { Array($0.values) }.sorted { $0.sessionId < $1.sessionId }
    }
}
