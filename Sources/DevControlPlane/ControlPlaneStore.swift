import ControlPlaneProtocol
import DriverModel
import Logging

/// All mutable state of a dev control plane, behind one actor: agents and their connections,
/// sessions, commands, dropped messages, extension data and events.
actor ControlPlaneStore {
    struct AgentEntry {
        var record: AgentRecord
        /// Never logged, never shown: only `record.hasIssuedKey`.
        var issuedKey: String?
        var lastHeartbeatAt: ContinuousClock.Instant?
        var connectedAt: ContinuousClock.Instant?
        var connection: AgentConnection?
    }

    let configuration: DevControlPlaneConfiguration
    let logger: Logger
    var agents = OrderedRecords<AgentEntry>()
    var sessions = OrderedRecords<SessionRecord>()
    var commands: OrderedRecords<CommandRecord>
    var rejected: BoundedLog<RejectedMessage>
    var events: BoundedLog<EventRecord>
    var metrics = OrderedRecords<MetricsRecord>()
    var sessionSyncs = OrderedRecords<SessionSyncRecord>()
    /// session_sync parts received so far, by agent.
    var syncParts: [String: PendingSync] = [:]
    /// The sessions of a metrics report's parts so far, by agent.
    var metricsParts: [String: [JSONValue]] = [:]
    var logs = OrderedRecords<LogStreamRecord>(limit: 500)
    var vncRelays = OrderedRecords<VNCRelayRecord>(limit: 100)
    var freshClosesLeft: Int
    var nextConnectionSerial = 1
    /// Set by stop(): streaming admin answers end.
    private(set) var isStopping = false
    var commandWaiters: [String: [CommandWaiter]] = [:]
    var nextWaiterToken = 0

    init(configuration: DevControlPlaneConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.commands = OrderedRecords(limit: configuration.maxCommands)
        self.rejected = BoundedLog(limit: configuration.maxRejected)
        self.events = BoundedLog(limit: configuration.maxEvents)
        self.freshClosesLeft = configuration.closeFreshConnections
    }

    func markRunning() { isStopping = false }

    func markStopping() {
        isStopping = true
        releaseAllWaiters()
    }

    func event(_ kind: String, agent: String? = nil, _ detail: String) {
        events.append(EventRecord(at: RFC3339.now(), kind: kind, agentId: agent, detail: detail))
    }

    // MARK: Snapshots

    func snapshot() -> DevControlPlaneState {
        DevControlPlaneState(
            agents: agentRecords(), sessions: sessions.all, commands: commands.all,
            rejected: rejected.entries, metrics: metrics.all, sessionSyncs: sessionSyncs.all,
            logs: logs.all, events: events.entries, vncRelays: vncRelays.all)
    }

    func agentRecords() -> [AgentRecord] {
        agents.all.map(liveRecord)
    }

    func agentRecord(_ id: String) -> AgentRecord? {
        agents[id].map(liveRecord)
    }

    /// The stored record with the connection-dependent fields filled in now.
    private func liveRecord(_ entry: AgentEntry) -> AgentRecord {
        var record = entry.record
        if let current = entry.connection {
            let counters = current.counters
            record.pingsSent = counters.pingsSent
            record.controlFramesReceived = counters.controlFramesReceived
        }
        // A closing connection no longer counts: commands to it fail.
        let connection = entry.connection.flatMap { $0.isClosing ? nil : $0 }
        record.connected = connection != nil
        if connection != nil {
            let lastSign = entry.lastHeartbeatAt ?? entry.connectedAt ?? .now
            record.status = ContinuousClock.now - lastSign < configuration.heartbeatTimeout ? "online" : "offline"
        } else {
            record.status = "offline"
        }
        return record
    }

    /// Every open connection (used to close them all on stop).
    func openConnections() -> [AgentConnection] {
        agents.all.compactMap(\.connection)
    }
}

/// The parts of one session_sync revision received so far.
struct PendingSync: Sendable {
    var revision: Int?
    var parts: Int
    var received: [Int: [JSONValue]] = [:]
}
