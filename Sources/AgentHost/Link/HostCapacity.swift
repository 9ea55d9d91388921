import DriverModel
import Synchronization

/// The host's own limits, shared by every driver link of one agent process (`--max-sessions`,
/// `--max-cpu`, `--max-memory`): each driver's agent reports only its share to the Control
/// Plane, and this is what holds when the shares are not what the Control Plane goes by. A start
/// must be admitted here before its driver is called; one beyond the host's figures is refused
/// with the reason and never reaches the driver.
///
/// What counts: each driver's active sessions (running or starting, as its link's cache has
/// them, so sessions found on the platform after a restart count too) and the starts in
/// flight. CPU and memory are those of the starts this process admitted; a session found on
/// the platform counts as a session, its CPU and memory being unknown to the agent. A slot is
/// free again once the session's link has recorded it as no longer active (a stop, a failure,
/// an event or a re-read that finds it gone).
public final class HostCapacity: Sendable {
    /// Sessions, CPU and memory: the same three figures a driver's share has.
    public typealias Limits = CapacitySplit.Figures

    /// A session this process admitted, with what it asked for.
    struct Admitted {
        var cpuMillicores: Int64
        var memoryBytes: Int64
        var inFlight = true
        /// The link's cache version when the start was over: a later change of the session
        /// that leaves it inactive frees the slot (before it, the link has not recorded it yet).
        var settledAtVersion: Int?
    }

    struct Key: Hashable {
        var driver: String
        var session: String
    }

    private struct State {
        var admitted: [Key: Admitted] = [:]
        var drivers: [String: any SessionView] = [:]
    }

    /// nil: no host-wide limit (one driver, whose link's capacity already is the host's).
    public let limits: Limits?
    private let state = Mutex(State())

    /// What sets the session limit, as refusals name it: `--max-sessions`, or the local policy.
    let sessionsRule: String

    public init(limits: Limits?, sessionsRule: String = "--max-sessions") {
        self.limits = limits
        self.sessionsRule = sessionsRule
    }

    /// The limit for this process: the drivers' shared host figures (`hostLimits`, several
    /// drivers only) and the local policy's `maxSessions`, whichever holds; nil when neither does.
    public static func limit(host hostLimits: Limits?, policySessions: Int?) -> HostCapacity? {
        guard let policySessions else { return hostLimits.map { HostCapacity(limits: $0) } }
        var limits = hostLimits ?? Limits(sessions: policySessions, cpuMillicores: .max, memoryBytes: .max)
        guard policySessions < limits.sessions || hostLimits == nil else { return HostCapacity(limits: limits) }
        limits.sessions = policySessions
        return HostCapacity(limits: limits, sessionsRule: "the local policy's maxSessions")
    }

    /// Tells where a driver's sessions are read (its link's cache).
    func attach(driver: String, sessions: any SessionView) {
        state.withLock { $0.drivers[driver] = sessions }
    }

    /// Runs `start` if the host has room for the session, holding its share meanwhile;
    /// answers RESOURCE_EXHAUSTED with the reason, without running it, if not. A start of a
    /// session already counted (a repeated start) is not counted twice.
    func admitting(_ spec: SessionSpec, driver: String,
                   _ start: () async -> Result<SessionStatus, DriverError>) async -> Result<SessionStatus, DriverError> {
        guard limits != nil else { return await start() }
        let key = Key(driver: driver, session: spec.id)
        if let refusal = admit(key, cpu: spec.resources.cpuMillicores, memory: spec.resources.memoryBytes) {
            return .failure(DriverError(.resourceExhausted, refusal))
        }
        let result = await start()
        settle(key, started: (try? result.get()).map { [.running, .starting].contains($0.state) } ?? false)
        return result
    }

    /// `admitting` on a link's capacity, if it has one.
    static func admitting(_ spec: SessionSpec, driver: String, in capacity: HostCapacity?,
                          _ start: () async -> Result<SessionStatus, DriverError>) async -> Result<SessionStatus, DriverError> {
        guard let capacity else { return await start() }
        return await capacity.admitting(spec, driver: driver, start)
    }

    /// Counts the session in, or says why it does not fit.
    func admit(_ key: Key, cpu: Int64, memory: Int64) -> String? {
        guard let limits else { return nil }
        return state.withLock { state -> String? in
            let active = state.drivers.mapValues(\.activeSessions)
            Self.prune(&state.admitted, state.drivers, active: active)
            var counted: [String: Set<String>] = active
            for key in state.admitted.keys { counted[key.driver, default: []].insert(key.session) }
            if counted[key.driver]?.contains(key.session) == true { return nil }
            let usage = Self.usage(counted, state.admitted)
            let total = usage.values.reduce(Usage()) { $0 + $1 }
            let byDriver = { (figure: (Usage) -> String) in
                usage.keys.sorted().map { "\($0) \(figure(usage[$0]!))" }.joined(separator: ", ")
            }
            if total.sessions + 1 > limits.sessions {
                return "host limit: \(total.sessions) session\(total.sessions == 1 ? "" : "s") already run on this host (\(byDriver { "\($0.sessions)" })), and \(sessionsRule) is \(limits.sessions)"
            }
            if total.cpuMillicores + cpu > limits.cpuMillicores {
                return "host limit: \(cpu)m of CPU more would exceed this host's \(limits.cpuMillicores)m (--max-cpu); sessions started here hold \(total.cpuMillicores)m (\(byDriver { "\($0.cpuMillicores)m" }))"
            }
            if total.memoryBytes + memory > limits.memoryBytes {
                return "host limit: \(Self.mebibytes(memory)) of memory more would exceed this host's \(Self.mebibytes(limits.memoryBytes)) (--max-memory); sessions started here hold \(Self.mebibytes(total.memoryBytes)) (\(byDriver { Self.mebibytes($0.memoryBytes) }))"
            }
            state.admitted[key] = Admitted(cpuMillicores: cpu, memoryBytes: memory)
            return nil
        }
    }

    /// The start is over: a session that runs stays counted; one that did not start is let go.
    func settle(_ key: Key, started: Bool) {
        state.withLock { state in
            guard started else {
                state.admitted[key] = nil
                return
            }
            state.admitted[key]?.inFlight = false
            state.admitted[key]?.settledAtVersion = state.drivers[key.driver]?.version ?? 0
        }
    }

    /// What the host holds now, by driver (for tests and the agent's own metrics).
    public func usage() -> [String: Usage] {
        state.withLock { state in
            let active = state.drivers.mapValues(\.activeSessions)
            Self.prune(&state.admitted, state.drivers, active: active)
            var counted = active
            for key in state.admitted.keys { counted[key.driver, default: []].insert(key.session) }
            return Self.usage(counted, state.admitted)
        }
    }

    public struct Usage: Sendable, Equatable {
        public var sessions = 0
        public var cpuMillicores: Int64 = 0
        public var memoryBytes: Int64 = 0

        static func + (a: Usage, b: Usage) -> Usage {
            Usage(sessions: a.sessions + b.sessions, cpuMillicores: a.cpuMillicores + b.cpuMillicores,
                  memoryBytes: a.memoryBytes + b.memoryBytes)
        }
    }

    private static func usage(_ counted: [String: Set<String>], _ admitted: [Key: Admitted]) -> [String: Usage] {
        var result: [String: Usage] = [:]
        for (driver, sessions) in counted {
            var usage = Usage(sessions: sessions.count)
            for session in sessions {
                guard let held = admitted[Key(driver: driver, session: session)] else { continue }
                usage.cpuMillicores += held.cpuMillicores
                usage.memoryBytes += held.memoryBytes
            }
            result[driver] = usage
        }
        return result
    }

    /// Lets go of admitted sessions that are over: their link recorded a change of them after
    /// the start, and they are not active now.
    private static func prune(_ admitted: inout [Key: Admitted], _ drivers: [String: any SessionView],
                              active: [String: Set<String>]) {
        for (key, entry) in admitted where !entry.inFlight {
            guard active[key.driver]?.contains(key.session) != true, let settled = entry.settledAtVersion else { continue }
            if let changed = drivers[key.driver]?.lastChange(of: key.session), changed > settled {
                admitted[key] = nil
            }
        }
    }

    private static func mebibytes(_ bytes: Int64) -> String { "\(bytes >> 20)Mi" }
}
