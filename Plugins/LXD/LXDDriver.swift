#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import DriverModel
import DriverSDK
import NIOHTTP1
import PlatformKit
import Synchronization

/// StreamSpace sessions as LXD containers, through LXD's REST API (never the lxc CLI).
///
/// One instance per session, from an image chosen by the config's `images` map, with CPU and
/// memory limits, a proxy device per template port on the operator's address (the session's
/// public endpoints), the session's identity in `user.streamspace.*` keys, the configured
/// profiles, and — for a persistent home — a custom storage volume. Hibernation is a stateful
/// stop where LXD can do one (memory kept) and a plain stop otherwise (disk kept): which one is
/// found out when the driver loads and declared as its capability.
final class LXDDriver: StreamSpaceDriver {
    let description = DriverDescription(
        name: "lxd", version: "1.0.0", platform: "vm", vendor: "StreamSpace",
        description: "Sessions as LXD containers over the LXD REST API")
    let capabilities: DriverCapabilities

    private let configuration: LXDConfiguration
    private let lxd: LXDClient
    private let host: DriverHost
    private let statefulHibernation: Bool
    private let hostResources = HostResources()
    /// Host ports picked but not yet recorded in an instance: concurrent starts must not share.
    private let reservedPorts = Mutex<Set<Int>>([])
    private let cpuSamples = Mutex<[String: (usage: Int64, at: ContinuousClock.Instant)]>([:])
    /// Which session each instance seen is, for the events of instances already deleted.
    private let instances = InstanceDirectory()
    /// Follows LXD's lifecycle events (LXDEventWatcher); ended by `shutdown`.
    private let eventWatcher = Mutex<Task<Void, Never>?>(nil)

    required init(configuration json: JSONValue, host: DriverHost) throws {
        var environment: [String: String] = [:]
        if let value = getenv("LXD_DIR") { environment["LXD_DIR"] = String(cString: value) }
        configuration = try LXDConfiguration(json, environment: environment)
        lxd = try LXDClient(address: configuration.address, project: configuration.project,
                            operationTimeout: configuration.operationTimeout)
        self.host = host
        switch configuration.hibernate {
        case .stateful: statefulHibernation = true
        case .stop: statefulHibernation = false
        case .auto:
            let probe = Self.runBlocking { [lxd] in await StatefulStopProbe.run(lxd) }
            statefulHibernation = probe.works
            host.log(.info, "lxd: hibernation will be a \(probe.works ? "stateful stop (memory kept)" : "plain stop (disk kept)"): \(probe.reason)")
        }
        capabilities = [statefulHibernation ? .hibernateMemory : .hibernateDisk,
                        .nodeMetrics, .sessionMetrics, .logs, .logsFollow, .persistentHome, .sessionEvents]
        host.log(.info, "lxd: using LXD at \(configuration.address), project \(configuration.project)")
        let watcher = LXDEventWatcher(lxd: lxd, host: host, instances: instances) { [weak self] name throws(DriverError) in
            try await self?.status(ofInstance: name)
        }
        eventWatcher.withLock { $0 = Task { await watcher.run() } }
    }

    /// create may block (the header says so): the probe runs on Swift concurrency meanwhile.
    private static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let value = await body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }

    func shutdown() async {
        // No session_changed after destroy (R8): the watcher is over before the client closes.
        let watcher = eventWatcher.withLock { watcher in
            defer { watcher = nil }
            return watcher
        }
        watcher?.cancel()
        await watcher?.value
        await lxd.http.shutdown()
    }

    // MARK: Health

    func health() async -> Health {
        do {
            let server = try await lxd.get("", what: "reading the server")
            guard server["auth"]?.stringValue == "trusted" else {
                return Health(.unhealthy, detail: "LXD at \(configuration.address) does not trust this client")
            }
            let version = server["environment"]?["server_version"]?.stringValue ?? "?"
            return Health(.healthy, detail: "LXD \(version) at \(configuration.address), project \(configuration.project)")
        } catch {
            return Health(.unhealthy, detail: error.message)
        }
    }

    // MARK: Lifecycle

    func start(_ spec: SessionSpec) async throws -> SessionStatus {
        try LXDNames.requireValidSession(spec.id)
        let image = try imageSource(for: spec.template.image)
        if let existing = try await instance(of: spec.id) { return try await resume(existing) }

        let name = LXDNames.instance(spec.id)
        let ports = try await reservePorts(count: spec.template.ports.count)
        defer { reservedPorts.withLock { $0.subtract(ports) } }
        var devices: [String: JSONValue] = [:]
        for (port, hostPort) in zip(spec.template.ports, ports) {
            let proto = port.protocol ?? "tcp"
            let listenHost = configuration.listenAddress.contains(":") ? "[\(configuration.listenAddress)]" : configuration.listenAddress
            devices[LXDNames.portDevicePrefix + port.name] = .object([
                "type": .string("proxy"),
                "listen": .string("\(proto):\(listenHost):\(hostPort)"),
                "connect": .string("\(proto):127.0.0.1:\(port.port)"),
            ])
        }
        for (device, volume, path) in try await homeVolumes(for: spec) {
            devices[device] = .object(["type": .string("disk"), "pool": .string(configuration.storagePool),
                                       "source": .string(volume), "path": .string(path)])
        }
        var config: [String: JSONValue] = [
            LXDNames.managedKey: .string("true"),
            LXDNames.sessionKey: .string(spec.id),
            LXDNames.userKey: .string(spec.user),
            LXDNames.portsKey: .string(PortList.encode(spec.template.ports)),
            LXDNames.stateKey: .string("running"),
            "limits.memory": .string("\(spec.resources.memoryBytes)B"),
            // A hard CPU limit in time slices: 250m is 25 ms of every 100 ms.
            "limits.cpu.allowance": .string("\(max(1, spec.resources.cpuMillicores / 10))ms/100ms"),
        ]
        if let template = spec.template.name { config[LXDNames.templateKey] = .string(template) }
        for (key, value) in spec.template.env {
            config["environment.\(key)"] = .string(value)
        }

        let body: JSONValue = .object([
            "name": .string(name), "type": .string("container"), "source": image.instanceSource,
            "profiles": .array(configuration.profiles.map { .string($0) }),
            "config": .object(config), "devices": .object(devices),
        ])
        if let conflict = try await create(body, name: name, image: image) {
            // Another start of the same session won the race: report that one (idempotent).
            guard let winner = try await instance(of: spec.id) else { throw conflict }
            return try await resume(winner)
        }
        do {
            try await setState(name, action: "start", what: "starting \(name)")
        } catch {
            // Leave nothing half-made: an instance that cannot start is of no use.
            _ = try? await lxd.call(.DELETE, "/instances/\(QueryString.segment(name))", what: "removing \(name)")
            throw error
        }
        return try await currentStatus(name)
    }

    /// Creates the instance; answers the error when an instance of that name already exists.
    private func create(_ body: JSONValue, name: String, image: LXDImageSource) async throws(DriverError) -> DriverError? {
        do {
            try await lxd.call(.POST, "/instances", json: body, what: "creating instance \(name) from \(image.description)")
            return nil
        } catch {
            if error.code == .alreadyExists || error.message.contains("already exists") { return error }
            throw error
        }
    }

    func stop(_ request: StopRequest) async throws -> SessionStatus {
        try LXDNames.requireValidSession(request.sessionId)
        if let record = try await instance(of: request.sessionId) {
            if record.status != "Stopped" {
                try await setState(record.name, action: "stop", force: true, what: "stopping \(record.name)")
            }
            try await lxd.call(.DELETE, "/instances/\(QueryString.segment(record.name))", allowNotFound: true,
                               what: "deleting \(record.name)")
        }
        if request.deleteVolumes {
            let volumes = try await lxd.get("/storage-pools/\(QueryString.segment(configuration.storagePool))/volumes/custom",
                                            query: [("recursion", "1")], what: "listing volumes")
            for volume in volumes.arrayValue ?? [] where volume["config"]?["user.streamspace.session"]?.stringValue == request.sessionId {
                guard let name = volume["name"]?.stringValue else { continue }
                try await lxd.call(.DELETE, "/storage-pools/\(QueryString.segment(configuration.storagePool))/volumes/custom/\(QueryString.segment(name))",
                                   allowNotFound: true, what: "deleting volume \(name)")
            }
        }
        return SessionStatus(sessionId: request.sessionId, state: .terminated)
    }

    func hibernate(_ id: String) async throws -> SessionStatus {
        try LXDNames.requireValidSession(id)
        guard let record = try await instance(of: id) else { throw notFound(id) }
        // Mark first: if the agent dies between the steps, the next hibernate finishes the job.
        if !record.isHibernated { try await mark(record.name, "hibernated") }
        if record.status == "Frozen" { try await setState(record.name, action: "unfreeze", what: "unfreezing \(record.name)") }
        if record.status != "Stopped" {
            if statefulHibernation {
                try await setState(record.name, action: "stop", stateful: true, what: "stopping \(record.name) statefully")
            } else {
                try await stopCleanlyOrForce(record.name)
            }
        }
        return try await currentStatus(record.name)
    }

    func wake(_ id: String) async throws -> SessionStatus {
        try LXDNames.requireValidSession(id)
        guard let record = try await instance(of: id) else { throw notFound(id) }
        return try await resume(record)
    }

    func session(_ id: String) async throws -> SessionStatus {
        try LXDNames.requireValidSession(id)
        guard let record = try await instance(of: id) else { throw notFound(id) }
        return record.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
    }

    func sessions() async throws -> [SessionStatus] {
        try await managedInstances().map {
            $0.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
        }.sorted { $0.sessionId < $1.sessionId }
    }

    /// Makes an existing session's instance run: wake, or a repeated start.
    private func resume(_ record: InstanceRecord) async throws(DriverError) -> SessionStatus {
        switch record.status {
        case "Running": break
        case "Frozen": try await setState(record.name, action: "unfreeze", what: "unfreezing \(record.name)")
        default: try await setState(record.name, action: "start", what: "starting \(record.name)")
        }
        if record.config[LXDNames.stateKey] != "running" { try await mark(record.name, "running") }
        return try await currentStatus(record.name)
    }

    /// A clean shutdown (the init's halt signal), bounded by stopTimeoutSeconds; an init that
    /// ignores it is stopped by force, as `lxc stop` would be with --force.
    private func stopCleanlyOrForce(_ name: String) async throws(DriverError) {
        do {
            try await setState(name, action: "stop", what: "stopping \(name)")
        } catch {
            let state = try await lxd.get("/instances/\(QueryString.segment(name))/state", what: "reading \(name)")
            guard state["status"]?.stringValue != "Stopped" else { return }
            host.log(.info, "lxd: \(name) did not stop within \(configuration.stopTimeoutSeconds) s (\(error.message)); forcing it")
            do {
                try await setState(name, action: "stop", force: true, what: "stopping \(name) by force")
            } catch {
                // It may have stopped by itself meanwhile: that is what we wanted.
                let after = try await lxd.get("/instances/\(QueryString.segment(name))/state", what: "reading \(name)")
                if after["status"]?.stringValue != "Stopped" { throw error }
            }
        }
    }

    private func setState(_ name: String, action: String, force: Bool = false, stateful: Bool = false,
                          what: String) async throws(DriverError) {
        var body: [String: JSONValue] = ["action": .string(action), "timeout": .int(Int64(configuration.stopTimeoutSeconds))]
        if force { body["force"] = .bool(true) }
        if stateful { body["stateful"] = .bool(true) }
        // LXD refuses a state change while another operation holds the instance (a shutdown
        // that was given up on still does for a moment): wait for it, within the bound.
        let deadline = ContinuousClock.now + configuration.operationTimeout
        while true {
            do {
                try await lxd.call(.PUT, "/instances/\(QueryString.segment(name))/state", json: .object(body), what: what)
                return
            } catch {
                guard error.message.contains("Instance is busy"), ContinuousClock.now < deadline else { throw error }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    private func mark(_ name: String, _ state: String) async throws(DriverError) {
        try await lxd.call(.PATCH, "/instances/\(QueryString.segment(name))",
                           json: .object(["config": .object([LXDNames.stateKey: .string(state)])]),
                           what: "recording \(name) as \(state)")
    }

    // MARK: Finding sessions

    private func managedInstances() async throws(DriverError) -> [InstanceRecord] {
        let list = try await lxd.get("/instances", query: [("recursion", "2")], what: "listing instances")
        let records = (list.arrayValue ?? []).compactMap { InstanceRecord($0) }.filter { SessionID.isValid($0.sessionID) }
        records.forEach(instances.remember)
        return records
    }

    /// The session an instance is, as LXD has it now; nil when it is gone or not a session.
    private func status(ofInstance name: String) async throws(DriverError) -> SessionStatus? {
        guard let instance = try await lxd.getIfExists("/instances/\(QueryString.segment(name))", what: "reading \(name)"),
              let state = try await lxd.getIfExists("/instances/\(QueryString.segment(name))/state", what: "reading \(name)"),
              let record = InstanceRecord(instance, state: state), SessionID.isValid(record.sessionID) else { return nil }
        instances.remember(record)
        return record.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
    }

    /// The session's instance: by its name first (one call), by its keys to be sure.
    private func instance(of sessionID: String) async throws(DriverError) -> InstanceRecord? {
        let name = LXDNames.instance(sessionID)
        if let instance = try await lxd.getIfExists("/instances/\(QueryString.segment(name))", what: "reading \(name)"),
           let state = try await lxd.getIfExists("/instances/\(QueryString.segment(name))/state", what: "reading \(name)"),
           let record = InstanceRecord(instance, state: state), record.sessionID == sessionID {
            instances.remember(record)
            return record
        }
        return nil
    }

    private func currentStatus(_ name: String) async throws(DriverError) -> SessionStatus {
        let instance = try await lxd.get("/instances/\(QueryString.segment(name))", what: "reading \(name)")
        let state = try await lxd.get("/instances/\(QueryString.segment(name))/state", what: "reading \(name)")
        guard let record = InstanceRecord(instance, state: state) else {
            throw DriverError(.internal, "lxd: instance \(name) lost its StreamSpace keys")
        }
        instances.remember(record)
        return record.status(publicScheme: configuration.publicScheme, publicHost: configuration.publicHost, dialHost: configuration.dialHost)
    }

    private func notFound(_ id: String) -> DriverError {
        DriverError(.notFound, "lxd: no instance for session \(id)")
    }

    // MARK: Images, ports, volumes

    /// The config's mapping, else the template image used as a local alias.
    private func imageSource(for image: String) throws(DriverError) -> LXDImageSource {
        if let mapped = configuration.images[image] { return mapped }
        guard image.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }) else {
            throw DriverError(.failedPrecondition,
                              "lxd: no LXD image is mapped for \"\(image)\": add it to the driver config's \"images\"")
        }
        return LXDImageSource(alias: image)
    }

    /// Free host ports from the configured range: not used by any instance's proxy device, not
    /// reserved by a start in flight, and (for a local LXD) not bound by anything else.
    private func reservePorts(count: Int) async throws(DriverError) -> [Int] {
        guard count > 0 else { return [] }
        let list = try await lxd.get("/instances", query: [("recursion", "1")], what: "listing instances")
        var used = Set<Int>()
        for instance in list.arrayValue ?? [] {
            for (_, device) in instance["devices"]?.objectValue ?? [:] where device["type"]?.stringValue == "proxy" {
                if let port = device["listen"]?.stringValue?.split(separator: ":").last.flatMap({ Int($0) }) { used.insert(port) }
            }
        }
        let local = configuration.address.isLocal
        let listen = configuration.listenAddress
        return try reservedPorts.withLock { reserved throws(DriverError) -> [Int] in
            var picked: [Int] = []
            for port in configuration.ports where picked.count < count {
                if used.contains(port) || reserved.contains(port) { continue }
                if local && !PortProbe.isFree(port, address: listen) { continue }
                picked.append(port)
            }
            guard picked.count == count else {
                throw DriverError(.resourceExhausted, "lxd: no free port left in portRange \(configuration.ports.lowerBound)-\(configuration.ports.upperBound)")
            }
            reserved.formUnion(picked)
            return picked
        }
    }

    /// Custom volumes for a persistent home, created when missing: (device, volume, path).
    private func homeVolumes(for spec: SessionSpec) async throws(DriverError) -> [(String, String, String)] {
        guard spec.persistentHome else { return [] }
        let mounts = spec.template.volumeMounts.isEmpty
            ? [SessionSpec.VolumeMount(name: "home", mountPath: configuration.homeMountPath)] : spec.template.volumeMounts
        var result: [(String, String, String)] = []
        let pool = QueryString.segment(configuration.storagePool)
        for mount in mounts {
            let volume = LXDNames.homeVolume(spec.id, mount: mount.name)
            let exists = try await lxd.getIfExists("/storage-pools/\(pool)/volumes/custom/\(QueryString.segment(volume))",
                                                   what: "reading volume \(volume)")
            if exists == nil {
                try await lxd.call(.POST, "/storage-pools/\(pool)/volumes/custom", json: .object([
                    "name": .string(volume), "type": .string("custom"),
                    "config": .object(["user.streamspace.session": .string(spec.id)]),
                ]), what: "creating volume \(volume)")
            }
            result.append(("ss-vol-\(mount.name.filter { $0.isASCII && ($0.isLetter || $0.isNumber) })", volume, mount.mountPath))
        }
        return result
    }

    // MARK: Metrics

    func nodeMetrics() async throws -> NodeMetrics {
        let resources = try await lxd.get("/resources", what: "reading the host's resources")
        let cores = resources["cpu"]?["total"]?.numberValue ?? 0
        let memory = resources["memory"]?["total"]?.intValue ?? 0
        var memoryUsed = resources["memory"]?["used"]?.intValue ?? 0
        let pool = try? await lxd.get("/storage-pools/\(QueryString.segment(configuration.storagePool))/resources",
                                      what: "reading the storage pool")
        let diskTotal = pool?["space"]?["total"]?.intValue ?? 0
        let diskUsed = pool?["space"]?["used"]?.intValue ?? 0
        var cpuUsed = 0.0
        if configuration.address.isLocal {
            cpuUsed = await hostResources.cpuUsedCores()
            memoryUsed = HostResources.memory().used
        } else {
            for status in try await sessions() where status.state == .running {
                cpuUsed += (try? await sessionMetrics(status.sessionId))?.cpuUsedCores ?? 0
            }
        }
        return NodeMetrics(cpuCores: cores, cpuUsedCores: cpuUsed, memoryBytes: memory, memoryUsedBytes: memoryUsed,
                           diskBytes: diskTotal, diskUsedBytes: diskUsed)
    }

    func sessionMetrics(_ id: String) async throws -> SessionMetrics {
        try LXDNames.requireValidSession(id)
        guard var record = try await instance(of: id) else { throw notFound(id) }
        let limit = record.config["limits.memory"].flatMap { Int64($0.dropLast()) } ?? 0
        guard record.isRunning, let usage = record.cpuUsageNanoseconds else {
            return SessionMetrics(sessionId: id, cpuUsedCores: 0, memoryBytes: limit, memoryUsedBytes: 0)
        }
        var before = cpuSamples.withLock { $0[record.name] }
        if before == nil {
            // Nothing to compare with yet: measure over a short window.
            before = (usage, ContinuousClock.now)
            try await Task.sleep(for: .milliseconds(250))
            record = try await instance(of: id) ?? record
        }
        let now = (usage: record.cpuUsageNanoseconds ?? usage, at: ContinuousClock.now)
        cpuSamples.withLock { $0[record.name] = now }
        let elapsed = now.at - before!.at
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpu = seconds > 0 ? Double(max(0, now.usage - before!.usage)) / 1e9 / seconds : 0
        return SessionMetrics(sessionId: id, cpuUsedCores: cpu, memoryBytes: limit, memoryUsedBytes: record.memoryUsage ?? 0)
    }

    // MARK: Logs

    /// The instance's console log: tail, then (following) what is appended, polled twice a
    /// second. The console log has no timestamps, so `sinceTime` cannot narrow it.
    func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws {
        try LXDNames.requireValidSession(request.sessionId)
        guard let record = try await instance(of: request.sessionId) else { throw notFound(request.sessionId) }
        var log = try await consoleLog(record.name)
        var first = log[...]
        if let tail = request.tailLines {
            var lines = 0
            var index = log.endIndex
            while index > log.startIndex {
                let before = log.index(before: index)
                if log[before] == 0x0A && before != log.endIndex - 1 {
                    lines += 1
                    if lines == tail { break }
                }
                index = before
            }
            first = tail == 0 ? log[log.endIndex...] : log[index...]
        }
        if !first.isEmpty { try await writer.write(first, channel: .console) }
        while request.follow {
            try await Task.sleep(for: .milliseconds(500))
            let now = try await consoleLog(record.name)
            if now.count > log.count, now.starts(with: log) {
                try await writer.write(now[log.count...], channel: .console)
            } else if !now.starts(with: log) {
                try await writer.write(now, channel: .console)  // the log was cleared or rotated
            }
            log = now
        }
    }

    private func consoleLog(_ name: String) async throws(DriverError) -> [UInt8] {
        let response = try await lxd.http.request(.GET, "/1.0/instances/\(QueryString.segment(name))/console",
                                                  query: [("project", configuration.project)], timeout: configuration.operationTimeout)
        guard response.isSuccess else {
            let error = LXDClient.error(status: response.status, body: (try? response.json()) ?? .null, fallback: response.bodyText,
                                        what: "reading the console log of \(name)")
            // The log file appears with the console's first output: until then it is empty.
            if error.message.contains("no such file or directory") { return [] }
            throw error
        }
        return response.body
    }
}

/// Whether a local TCP port is free to listen on (a bind that is closed at once).
enum PortProbe {
    static func isFree(_ port: Int, address: String) -> Bool {
        let v6 = address.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if v6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, address, &socketAddress.sin6_addr)
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &socketAddress.sin_addr)
        return withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Finds out, once, whether this LXD can stop a container statefully (CRIU works with this
/// kernel): a throwaway container from a local image is started and stopped statefully.
enum StatefulStopProbe {
    struct Outcome: Sendable { var works: Bool; var reason: String }

    static func run(_ lxd: LXDClient) async -> Outcome {
        let name = "ss-probe-\(LXDNames.hash(String(UInt64.random(in: 0...UInt64.max))).prefix(8))"
        let outcome = await attempt(lxd, name)
        // Remove the probe whatever happened (it may exist even when its creation "failed").
        let path = "/instances/\(name)"
        _ = try? await lxd.call(.PUT, path + "/state", json: .object(["action": .string("stop"), "force": .bool(true)]),
                                allowNotFound: true, what: "stopping the probe")
        _ = try? await lxd.call(.DELETE, path, allowNotFound: true, what: "deleting the probe")
        return outcome
    }

    private static func attempt(_ lxd: LXDClient, _ name: String) async -> Outcome {
        do {
            let images = try await lxd.get("/images", query: [("recursion", "1")], what: "listing images")
            guard let fingerprint = images.arrayValue?.first(where: { $0["type"]?.stringValue != "virtual-machine" })?["fingerprint"]?.stringValue else {
                return Outcome(works: false, reason: "no local image to test a stateful stop with")
            }
            let path = "/instances/\(name)"
            try await lxd.call(.POST, "/instances", json: .object([
                "name": .string(name), "type": .string("container"),
                "source": .object(["type": .string("image"), "fingerprint": .string(fingerprint)]),
                "config": .object(["limits.memory": .string("64MiB")]),
                "profiles": .array([.string("default")]),
            ]), what: "creating the stateful-stop probe")
            try await lxd.call(.PUT, path + "/state", json: .object(["action": .string("start")]), what: "starting the probe")
            do {
                try await lxd.call(.PUT, path + "/state", json: .object(["action": .string("stop"), "stateful": .bool(true)]),
                                   what: "stopping the probe statefully")
                return Outcome(works: true, reason: "a stateful stop of a test container succeeded")
            } catch {
                return Outcome(works: false, reason: "a stateful stop of a test container failed (\(error.message))")
            }
        } catch {
            return Outcome(works: false, reason: "could not test a stateful stop (\(error.message))")
        }
    }
}
