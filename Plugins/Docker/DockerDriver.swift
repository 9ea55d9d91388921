#if canImport(Glibc)
import Glibc
#endif
import DriverModel
import DriverSDK
import PlatformKit
import Synchronization

/// StreamSpace sessions as Docker containers, through the Engine API (never the docker CLI).
///
/// One container per session (`ss-<id>`, labelled `streamspace.io/*`), on an agent-owned bridge
/// network, with the template's env, the spec's CPU and memory limits, `Init` so stops are
/// quick, the template's ports published on the operator's address, and — when the session has
/// a persistent home — a named volume at the template's mount path. Hibernation stops the
/// container and keeps its filesystem and volumes (disk-only). Nothing privileged, no host
/// paths, no host network. The platform is the only record: a new driver instance finds every
/// session again by label.
final class DockerDriver: StreamSpaceDriver {
    let description = DriverDescription(
        name: "docker", version: "1.0.0", platform: "docker", vendor: "StreamSpace",
        description: "Sessions as containers on a Docker Engine (API 1.41+)")
    let capabilities: DriverCapabilities = [
        .hibernateDisk, .nodeMetrics, .sessionMetrics, .logs, .logsFollow, .persistentHome, .sessionEvents,
    ]

    private let configuration: DockerConfiguration
    private let engine: DockerEngine
    private let host: DriverHost
    private let hostResources = HostResources()
    private let networkReady = Atomic<Bool>(false)
    private let cpuSamples = Mutex<[String: CPUSample]>([:])
    /// Follows Docker's events for our containers (see `watchEvents`); ended by `shutdown`.
    private let eventWatcher = Mutex<Task<Void, Never>?>(nil)

    /// Docker refuses memory limits under 6 MiB; say so before asking it.
    static let minimumMemory: Int64 = 6 << 20

    required init(configuration json: JSONValue, host: DriverHost) throws {
        var environment: [String: String] = [:]
        for name in ["DOCKER_HOST", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        configuration = try DockerConfiguration(json, environment: environment)
        engine = try DockerEngine(address: configuration.address, timeout: configuration.apiTimeout)
        self.host = host
        if case .http(_, _, let tls) = configuration.address {
            if tls == nil {
                host.log(.warning, "docker: talking to \(configuration.address) without TLS: anyone on the network can control this Docker")
            } else if tls?.skipVerify == true {
                host.log(.warning, "docker: TLS verification of \(configuration.address) is OFF (tlsVerify false)")
            }
        }
        host.log(.info, "docker: using the Docker Engine at \(configuration.address); ports published on \(configuration.publishAddress)")
        eventWatcher.withLock { $0 = Task { [weak self] in await self?.watchEvents() } }
    }

    func shutdown() async {
        // No session_changed after destroy (R8): the watcher is over before the client closes.
        let watcher = eventWatcher.withLock { watcher in
            defer { watcher = nil }
            return watcher
        }
        watcher?.cancel()
        await watcher?.value
        await engine.http.shutdown()
    }

    // MARK: Events

    /// Follows Docker's event stream for the containers this driver manages and tells the host
    /// when one starts, dies or is removed, whoever did it — a person with the docker CLI, an
    /// out-of-memory kill — so the Control Plane hears of it at once rather than at the agent's
    /// next look. A broken stream (the daemon restarted) is opened again (PlatformKit's
    /// EventStreamFollower).
    private func watchEvents() async {
        let filters = #"{"type":["container"],"label":["\#(DockerNames.managedLabel)=true"]}"#
        await EventStreamFollower.follow(ended: { reason, delay in
            host.log(.debug, "docker: the event stream ended (\(reason)); opening it again in \(delay)")
        }, stream: { opened in
            let stream = try await engine.stream(.GET, "/events", query: [("filters", filters)], timeout: nil)
            guard (200..<300).contains(stream.status) else {
                throw DriverError(.unavailable, "docker: the event stream answered HTTP \(stream.status)")
            }
            opened()
            var pending: [UInt8] = []
            for try await chunk in stream.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    await report(event: line)
                }
            }
        })
    }

    /// One event: the session's state as Docker has it now (not as the event tells it: events
    /// come late, and the platform is the record).
    private func report(event line: [UInt8]) async {
        guard let event = DockerEvent(line: line) else { return }
        let (action, sessionID) = (event.action, event.sessionID)
        var status: SessionStatus
        do {
            status = try await session(sessionID)
            // Docker sends "die" before its inspect stops saying "running": look again, briefly.
            var looks = 1
            while action == "die", status.state == .running, looks < 40, !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(50))
                status = try await session(sessionID)
                looks += 1
            }
        } catch let error as DriverError where error.code == .notFound {
            status = SessionStatus(sessionId: sessionID, state: .terminated)
        } catch {
            return
        }
        guard !Task.isCancelled else { return }
        host.sessionChanged(status)
    }

    // MARK: Health

    func health() async -> Health {
        do {
            let version = try await engine.apiVersion()
            let info = try await engine.call(.GET, "/version", what: "reading the version").json()
            let server = info["Version"]?.stringValue ?? "?"
            return Health(.healthy, detail: "Docker \(server) at \(configuration.address), API \(version)")
        } catch {
            engine.forgetVersion()
            return Health(.unhealthy, detail: error.message)
        }
    }

    // MARK: Lifecycle

    func start(_ spec: SessionSpec) async throws -> SessionStatus {
        try DockerNames.requireValidSession(spec.id)
        let image = try ImageReference(spec.template.image)
        guard spec.resources.memoryBytes >= Self.minimumMemory else {
            throw DriverError(.invalidArgument, "docker: memory \(spec.resources.memory) is below Docker's minimum of 6Mi")
        }
        if let existing = try await container(of: spec.id) {
            return try await resume(existing)
        }

        if try await !engine.imageExists(image.reference) {
            guard configuration.pullMissingImages else {
                throw DriverError(.failedPrecondition,
                                  "docker: image \(image.reference) is not on this Docker host and pulling is off (pullMissingImages)")
            }
            host.log(.info, "docker: pulling \(image.reference) for session \(spec.id)")
            try await engine.pull(image, timeout: configuration.pullTimeout)
        }
        if !networkReady.load(ordering: .acquiring) {
            try await engine.ensureNetwork(configuration.network)
            networkReady.store(true, ordering: .releasing)
        }
        let mounts = try await homeVolumes(for: spec)

        let name = DockerNames.container(spec.id)
        let created = try await engine.call(
            .POST, "/containers/create", query: [("name", name)], json: ContainerSpec.body(spec, image: image, mounts: mounts, configuration: configuration),
            allowed: [409], what: "creating container \(name)")
        if created.status == 409 {
            // Another start of the same session won the race: report that one (idempotent).
            // Docker reserves the name before the container shows in lists: look a few times.
            for _ in 0..<50 {
                if let winner = try await container(of: spec.id) { return try await resume(winner) }
                if let other = try await engine.inspectContainer(name), ContainerRecord(inspect: other) == nil {
                    throw DriverError(.alreadyExists, "docker: a container named \(name) exists but is not a StreamSpace session; remove or rename it")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw DriverError(.alreadyExists, "docker: the name \(name) is taken, but no container of session \(spec.id) appeared")
        }
        guard let id = try created.json()["Id"]?.stringValue else {
            throw DriverError(.internal, "docker: creating \(name) returned no container id")
        }
        TestCrashPoint.reached("docker:start-after-create")
        do {
            try await startContainer(id, name: name)
        } catch {
            // Leave nothing half-made behind: a container that cannot start is of no use.
            _ = try? await engine.call(.DELETE, "/containers/\(id)", query: [("force", "1")], allowed: [404],
                                       what: "removing container \(name)")
            throw error
        }
        return try await currentStatus(id: id, sessionID: spec.id)
    }

    func stop(_ request: StopRequest) async throws -> SessionStatus {
        try DockerNames.requireValidSession(request.sessionId)
        for record in try await containers(of: request.sessionId) {
            let path = "/containers/\(record.id)"
            if record.isRunning {
                _ = try await engine.call(.POST, path + "/stop", query: [("t", String(configuration.stopTimeoutSeconds))],
                                          allowed: [304, 404], timeout: stopCallTimeout, what: "stopping \(record.name)")
                TestCrashPoint.reached("docker:stop-after-stop")
            }
            _ = try await engine.call(.DELETE, path, query: [("force", "1")], allowed: [404],
                                      what: "removing \(record.name)")
        }
        if request.deleteVolumes {
            for volume in try await engine.volumes(labels: ["\(DockerNames.sessionLabel)=\(request.sessionId)",
                                                            "\(DockerNames.managedLabel)=true"]) {
                try await engine.removeVolume(volume)
            }
        }
        return SessionStatus(sessionId: request.sessionId, state: .terminated)
    }

    func hibernate(_ id: String) async throws -> SessionStatus {
        try DockerNames.requireValidSession(id)
        guard let record = try await container(of: id) else { throw notFound(id) }
        // Rename first: if the agent dies between the two steps, a running container with the
        // hibernated name still reads as running, and the next hibernate finishes the job.
        if !record.isHibernated {
            try await rename(record, to: DockerNames.hibernatedContainer(id))
            TestCrashPoint.reached("docker:hibernate-after-rename")
        }
        if record.isRunning || record.state == "paused" || record.state == "restarting" {
            _ = try await engine.call(.POST, "/containers/\(record.id)/stop",
                                      query: [("t", String(configuration.stopTimeoutSeconds))],
                                      allowed: [304], timeout: stopCallTimeout, what: "stopping \(record.name)")
        }
        return try await currentStatus(id: record.id, sessionID: id)
    }

    func wake(_ id: String) async throws -> SessionStatus {
        try DockerNames.requireValidSession(id)
        guard let record = try await container(of: id) else { throw notFound(id) }
        return try await resume(record)
    }

    func session(_ id: String) async throws -> SessionStatus {
        try DockerNames.requireValidSession(id)
        guard let record = try await container(of: id) else { throw notFound(id) }
        return try await status(of: record)
    }

    func sessions() async throws -> [SessionStatus] {
        let records = try await engine.containers(labels: ["\(DockerNames.managedLabel)=true", DockerNames.sessionLabel])
            .compactMap(ContainerRecord.init(listEntry:))
        var statuses: [SessionStatus] = []
        for record in records where SessionID.isValid(record.sessionID) {
            statuses.append(try await status(of: record))
        }
        return statuses.sorted { $0.sessionId < $1.sessionId }
    }

    /// Makes an existing session's container run (wake, or a repeated start), with its name
    /// back to the running one. Published ports may differ from before.
    private func resume(_ record: ContainerRecord) async throws -> SessionStatus {
        if !record.isRunning {
            try await startContainer(record.id, name: record.name)
            TestCrashPoint.reached("docker:resume-after-start")
        }
        if record.isHibernated {
            try await rename(record, to: DockerNames.container(record.sessionID))
        }
        return try await currentStatus(id: record.id, sessionID: record.sessionID)
    }

    private func startContainer(_ id: String, name: String) async throws(DriverError) {
        let path = "/containers/\(id)"
        if let state = try await engine.inspectContainer(id)?["State"]?["Status"]?.stringValue, state == "paused" {
            _ = try await engine.call(.POST, path + "/unpause", what: "unpausing \(name)")
            return
        }
        _ = try await engine.call(.POST, path + "/start", allowed: [304], what: "starting \(name)")
    }

    private func rename(_ record: ContainerRecord, to name: String) async throws(DriverError) {
        guard record.name != name else { return }
        _ = try await engine.call(.POST, "/containers/\(record.id)/rename", query: [("name", name)],
                                  what: "renaming \(record.name) to \(name)")
    }

    /// A stop call waits for the container's own timeout; give the HTTP call that plus margin.
    private var stopCallTimeout: Duration { .seconds(configuration.stopTimeoutSeconds + 30) }

    // MARK: Finding sessions

    /// Every container labelled as this session's (normally one).
    private func containers(of sessionID: String) async throws(DriverError) -> [ContainerRecord] {
        try await engine.containers(labels: ["\(DockerNames.managedLabel)=true", "\(DockerNames.sessionLabel)=\(sessionID)"])
            .compactMap(ContainerRecord.init(listEntry:))
    }

    private func container(of sessionID: String) async throws(DriverError) -> ContainerRecord? {
        let all = try await containers(of: sessionID)
        // Should there ever be two, prefer the one that runs.
        return all.first(where: \.isRunning) ?? all.first
    }

    private func currentStatus(id: String, sessionID: String) async throws(DriverError) -> SessionStatus {
        guard let inspect = try await engine.inspectContainer(id), let record = ContainerRecord(inspect: inspect) else {
            throw DriverError(.unavailable, "docker: container of session \(sessionID) disappeared while the driver worked on it")
        }
        return record.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
    }

    /// The list entry lacks exit details: inspect the containers that read as failed.
    private func status(of record: ContainerRecord) async throws(DriverError) -> SessionStatus {
        let status = record.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
        guard status.state == .failed else { return status }
        guard let inspect = try await engine.inspectContainer(record.id), let detailed = ContainerRecord(inspect: inspect) else {
            return status
        }
        return detailed.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
    }

    private func notFound(_ id: String) -> DriverError {
        DriverError(.notFound, "docker: no container for session \(id)")
    }

    // MARK: Volumes

    /// The named volumes of a session with a persistent home: one per template volume mount,
    /// or a home at `homeMountPath` when the template names none. Created before the
    /// container; kept across stops unless the stop asks to delete them.
    private func homeVolumes(for spec: SessionSpec) async throws(DriverError) -> [(volume: String, path: String)] {
        guard spec.persistentHome else { return [] }
        let mounts = spec.template.volumeMounts.isEmpty
            ? [SessionSpec.VolumeMount(name: "home", mountPath: configuration.homeMountPath)]
            : spec.template.volumeMounts
        var result: [(volume: String, path: String)] = []
        for mount in mounts {
            let volume = DockerNames.volume(spec.id, mount: mount.name)
            guard DockerNames.isValidName(volume) else {
                throw DriverError(.invalidArgument, "docker: volume mount name \"\(mount.name)\" does not make a valid Docker volume name")
            }
            try await engine.ensureVolume(volume, labels: [
                DockerNames.managedLabel: "true", DockerNames.sessionLabel: spec.id,
                DockerNames.userLabel: spec.user, DockerNames.volumeLabel: mount.name,
            ])
            result.append((volume, mount.mountPath))
        }
        return result
    }

    // MARK: Metrics

    func nodeMetrics() async throws -> NodeMetrics {
        let info = try await engine.call(.GET, "/info", what: "reading the Docker host's info").json()
        let cores = info["NCPU"]?.numberValue ?? 0
        let memory = info["MemTotal"]?.intValue ?? 0
        if configuration.address.isLocal {
            // The daemon runs on this machine: its figures are the host's.
            let used = await hostResources.cpuUsedCores()
            let meminfo = HostResources.memory()
            let root = info["DockerRootDir"]?.stringValue ?? "/var/lib/docker"
            let disk = HostResources.disk(at: root) ?? HostResources.disk(at: "/") ?? (0, 0)
            return NodeMetrics(cpuCores: cores, cpuUsedCores: used, memoryBytes: memory,
                               memoryUsedBytes: meminfo.used, diskBytes: disk.total, diskUsedBytes: disk.used)
        }
        // A remote daemon: what its sessions use is what we can see.
        var cpu = 0.0, memoryUsed: Int64 = 0
        for status in try await sessions() where status.state == .running {
            if let metrics = try? await sessionMetrics(status.sessionId) {
                cpu += metrics.cpuUsedCores
                memoryUsed += metrics.memoryUsedBytes
            }
        }
        return NodeMetrics(cpuCores: cores, cpuUsedCores: cpu, memoryBytes: memory, memoryUsedBytes: memoryUsed,
                           diskBytes: 0, diskUsedBytes: 0)
    }

    struct CPUSample: Sendable {
        var containerTotal: Int64
        var systemTotal: Int64
    }

    func sessionMetrics(_ id: String) async throws -> SessionMetrics {
        try DockerNames.requireValidSession(id)
        guard let record = try await container(of: id) else { throw notFound(id) }
        guard record.isRunning else {
            cpuSamples.withLock { _ = $0.removeValue(forKey: record.id) }
            return SessionMetrics(sessionId: id, cpuUsedCores: 0, memoryBytes: 0, memoryUsedBytes: 0)
        }
        var stats = try await oneShotStats(record)
        let previous = cpuSamples.withLock { $0[record.id] }
        var before = previous ?? Self.cpuSample(stats)
        if previous == nil {
            // The first look has nothing to compare with: measure over a short window.
            try await Task.sleep(for: .milliseconds(250))
            stats = try await oneShotStats(record)
        }
        let now = Self.cpuSample(stats)
        cpuSamples.withLock { $0[record.id] = now }
        if now.systemTotal <= before.systemTotal { before = now }
        let onlineCPUs = Double(stats["cpu_stats"]?["online_cpus"]?.intValue ?? Int64(hostResources.cpuCores))
        let systemDelta = Double(now.systemTotal - before.systemTotal)
        let cpu = systemDelta > 0 ? Double(max(0, now.containerTotal - before.containerTotal)) / systemDelta * onlineCPUs : 0

        let memory = stats["memory_stats"]
        let usage = memory?["usage"]?.intValue ?? 0
        // What `docker stats` shows: usage without the reclaimable page cache.
        let cache = memory?["stats"]?["inactive_file"]?.intValue ?? memory?["stats"]?["total_inactive_file"]?.intValue ?? 0
        let limit = memory?["limit"]?.intValue ?? 0
        return SessionMetrics(sessionId: id, cpuUsedCores: cpu, memoryBytes: limit, memoryUsedBytes: max(0, usage - cache))
    }

    private func oneShotStats(_ record: ContainerRecord) async throws(DriverError) -> JSONValue {
        try await engine.call(.GET, "/containers/\(record.id)/stats", query: [("stream", "false"), ("one-shot", "true")],
                              what: "reading the stats of \(record.name)").json()
    }

    private static func cpuSample(_ stats: JSONValue) -> CPUSample {
        CPUSample(containerTotal: stats["cpu_stats"]?["cpu_usage"]?["total_usage"]?.intValue ?? 0,
                  systemTotal: stats["cpu_stats"]?["system_cpu_usage"]?.intValue ?? 0)
    }

    // MARK: Logs

    func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws {
        try DockerNames.requireValidSession(request.sessionId)
        guard let record = try await container(of: request.sessionId) else { throw notFound(request.sessionId) }
        var query = [("stdout", "1"), ("stderr", "1"), ("follow", request.follow ? "1" : "0"),
                     ("tail", request.tailLines.map(String.init) ?? "all")]
        if let since = request.sinceTime {
            guard let seconds = RFC3339.parse(since) else {
                throw DriverError(.invalidArgument, "docker: sinceTime \"\(since)\" is not an RFC 3339 time")
            }
            // Docker wants UNIX seconds with up to nine fractional digits.
            let whole = seconds.rounded(.down)
            let nanos = Int(((seconds - whole) * 1e9).rounded())
            let fraction = String(min(nanos, 999_999_999))
            query.append(("since", "\(Int64(whole)).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"))
        }
        let stream = try await engine.stream(.GET, "/containers/\(record.id)/logs", query: query,
                                             timeout: request.follow ? nil : configuration.apiTimeout)
        guard (200..<300).contains(stream.status) else {
            var body: [UInt8] = []
            for try await chunk in stream.body { body += chunk.readableBytesView; if body.count > 4096 { break } }
            throw DockerEngine.error(PlatformResponse(status: stream.status, headers: stream.headers, body: body),
                                     what: "reading the logs of \(record.name)")
        }
        // Containers made with a TTY send raw bytes; ours never have one, but others might.
        let multiplexed = stream.headers.first(name: "Content-Type") != "application/vnd.docker.raw-stream"
        var demultiplexer = LogDemultiplexer()
        do {
            for try await chunk in stream.body {
                if !multiplexed {
                    try await writer.write(Array(chunk.readableBytesView))
                    continue
                }
                for (source, bytes) in try demultiplexer.feed(chunk.readableBytesView) {
                    try await writer.write(bytes, channel: source == .stderr ? .stderr : .stdout)
                }
            }
        } catch let error as LogDemultiplexer.FrameError {
            throw DriverError(.internal, "docker: \(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as DriverError {
            throw error
        } catch {
            if Task.isCancelled || writer.isCancelled { throw CancellationError() }
            throw engine.http.transportError(error, what: "reading the logs of \(record.name)", timeout: nil)
        }
    }
}
