import DriverModel
import Synchronization

/// The agent's view of the sessions on its platform: filled from the driver's list and kept
/// current by command results and driver events, so heartbeats and reports never wait on the
/// platform. Every change bumps a version, so a list read from the platform while a command
/// changed a session can tell that its view of that session is already stale.
final class SessionCache: SessionView {
    private struct State {
        var sessions: [String: SessionStatus] = [:]
        var version = 0
        var changedAt: [String: Int] = [:]
    }
    private let state = Mutex(State())
    /// Told the id of every session whose state or endpoints changed (session traffic follows
    /// the sessions: a relay opens when one runs, its streams end when it stops).
    private let observer = Mutex<(@Sendable (String) -> Void)?>(nil)

    func observe(_ handler: @escaping @Sendable (String) -> Void) {
        observer.withLock { $0 = handler }
    }

    private func replace(_ body: (inout State) -> Void) {
        let changed = state.withLock { state -> [String] in
            let before = state.sessions
            body(&state)
            return Set(before.keys).union(state.sessions.keys).filter { id in
                before[id]?.state != state.sessions[id]?.state || before[id]?.endpoints != state.sessions[id]?.endpoints
            }.sorted()
        }
        guard !changed.isEmpty, let observer = observer.withLock({ $0 }) else { return }
        for id in changed { observer(id) }
    }

    func replaceAll(_ list: [SessionStatus]) {
        replace { $0.sessions = Dictionary(list.map { ($0.sessionId, $0) }, uniquingKeysWith: { _, last in last }) }
    }

    func update(_ status: SessionStatus) {
        replace { state in
            state.version += 1
            state.changedAt[status.sessionId] = state.version
            if status.state == .terminated {
                state.sessions[status.sessionId] = nil
            } else {
                state.sessions[status.sessionId] = status
            }
        }
    }

    /// Takes a list read from the platform, except for the sessions in `keep` and those
    /// changed after `version` (the list's view of them is older than the cache's).
    func replaceAll(_ list: [SessionStatus], keeping keep: Set<String>, changedSince version: Int) {
        replace { state in
            let fresh = state.changedAt.filter { $0.value > version }.keys
            let kept = keep.union(fresh)
            var sessions = Dictionary(list.filter { !kept.contains($0.sessionId) }.map { ($0.sessionId, $0) },
                                      uniquingKeysWith: { _, last in last })
            for id in kept { sessions[id] = state.sessions[id] }
            state.sessions = sessions
        }
    }

    var version: Int { state.withLock { $0.version } }

    /// What the agent knows of one session (nil: none, or terminated).
    func status(of id: String) -> SessionStatus? { state.withLock { $0.sessions[id] } }

    /// The version of the last `update` of one session (kept after it is terminated).
    func lastChange(of id: String) -> Int? { state.withLock { $0.changedAt[id] } }

    /// Sessions changed by `update` after `version`.
    func changed(since version: Int) -> Set<String> {
        state.withLock { state in Set(state.changedAt.filter { $0.value > version }.keys) }
    }

    /// Sessions that hold platform resources now: running or on their way.
    var activeCount: Int { activeSessions.count }

    var activeSessions: Set<String> {
        state.withLock { Set($0.sessions.values.filter { $0.state == .running || $0.state == .starting }.map(\.sessionId)) }
    }

    var all: [SessionStatus] {
        state.withLock { Array($0.sessions.values) }.sorted { $0.sessionId < $1.sessionId }
    }
}

/// What the host-wide limit reads of a driver link's sessions (HostCapacity).
protocol SessionView: Sendable {
    /// Running or starting.
    var activeSessions: Set<String> { get }
    var version: Int { get }
    func lastChange(of id: String) -> Int?
}
