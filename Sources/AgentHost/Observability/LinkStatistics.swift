import Synchronization

/// What one Control Plane link counts for the agent's own metrics: connections made, and
/// commands by action and outcome with their durations.
public final class LinkStatistics: Sendable {
    public struct Snapshot: Sendable {
        public var connections = 0
        /// (action, outcome) → durations.
        public var commands: [CommandKey: Histogram] = [:]
    }

    public struct CommandKey: Hashable, Sendable {
        public var action: String
        public var outcome: String
    }

    private let state = Mutex(Snapshot())

    public init() {}

    func connected() { state.withLock { $0.connections += 1 } }

    func command(_ action: String, outcome: String, took duration: Duration) {
        // Actions come from the network: only the known ones get their own series.
        let known = ["start_session", "stop_session", "hibernate_session", "wake_session"]
        let key = CommandKey(action: known.contains(action) ? action : "other", outcome: outcome)
        state.withLock { $0.commands[key, default: Histogram()].record(duration) }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
