import AgentHost
import ArgumentParser
import ControlPlaneProtocol
import DriverModel
import Glibc
import Logging
import ServiceLifecycle

/// `agent` / `agent run`: the agent's main job.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Connect to a StreamSpace Control Plane and run its sessions with a driver (the default command).",
        discussion: """
            Every option can also come from the environment variable in brackets, as StreamSpace's \
            own agents read them; a flag wins over the environment.

            Credentials: prefer --api-key-file or AGENT_API_KEY to --api-key, which other users \
            can see in the process list. With mutual TLS (--client-cert/--client-key) the \
            certificate's CN is the agent id and no key is needed.

            The agent registers over HTTP(S), waits while an administrator approves it (HTTP 202, \
            asking again every 30 s), then keeps a WebSocket open, reconnecting forever with \
            jittered backoff. Sessions keep running while the link is down. SIGTERM or SIGINT \
            stops the agent; sessions keep running.

            Several drivers: repeat --driver. Each driver is its own agent, with its own \
            registration, connection and heartbeats (the Control Plane maps one agent id to one \
            platform): its agent id is <agent-id>-<driver name> unless --driver-agent-id \
            NAME=ID says otherwise, and it registers with its own driver's platform (so \
            --platform is refused). Each driver takes its own --driver-config NAME=FILE-OR-JSON, \
            NAME being its --driver value as written or its described name. With --state-dir, \
            each agent keeps its key in <dir>/<its agent id, percent-encoded>/.

            Capacity with several drivers: --max-sessions, --max-cpu and --max-memory are the \
            host's, enforced across all drivers (a start beyond them fails with the reason and \
            never reaches a driver). Each driver's agent reports its own share: --driver-max-* \
            NAME=VALUE where given, else an even split of what the others leave (10 sessions, 4 \
            CPUs and two drivers: 5 sessions and 2 CPUs each). Shares that add up to more than \
            the host's figures are refused at start-up.

            Examples:
              AGENT_API_KEY=$(cat key) agent --control-plane-url wss://cp.example.com \\
                --agent-id docker-host-1 --driver docker --region eu-west

              # agents host-1-docker and host-1-lxd, one process:
              AGENT_API_KEY=$(cat key) agent --control-plane-url wss://cp.example.com \\
                --agent-id host-1 --driver docker --driver lxd --driver-config lxd=lxd.json
            """)

    @Option(help: ArgumentHelp("The Control Plane's WebSocket URL, ws:// or wss:// [CONTROL_PLANE_URL].", valueName: "url"))
    var controlPlaneUrl: String?

    @Option(help: ArgumentHelp("This agent's id, 3–100 characters [AGENT_ID].", valueName: "id"))
    var agentId: String?

    @Option(help: ArgumentHelp("The API key: 64 hex characters [AGENT_API_KEY].", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("A file holding the API key.", valueName: "file"))
    var apiKeyFile: String?

    @Option(help: ArgumentHelp("The platform to register as: kubernetes, docker, vm or cloud [PLATFORM]. Default: the driver's. Not with several drivers.", valueName: "platform"))
    var platform: String?

    @Option(help: ArgumentHelp("The region to register in, 2–50 characters [REGION].", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("""
        A local policy the Control Plane cannot override [AGENT_POLICY]: a JSON file with any of \
        "allowedImages" (patterns, * matches any characters), "maxCpuPerSession" ("4"), \
        "maxMemoryPerSession" ("8Gi"), "maxSessions" (an integer) and "allowedPorts" \
        (3000 or "8000-8100"). A start that breaks it is answered failed and never reaches \
        the driver. Docs/local-policy.md has an example.
        """, valueName: "file"))
    var policy: String?

    @Option(help: ArgumentHelp("Most sessions this agent takes [MAX_SESSIONS]. Default: 10.", valueName: "n"))
    var maxSessions: Int?

    @Option(help: ArgumentHelp("CPU capacity to report, e.g. 16 or 16000m [MAX_CPU]. Default: this host's cores.", valueName: "quantity"))
    var maxCpu: String?

    @Option(help: ArgumentHelp("Memory capacity to report, e.g. 64Gi [MAX_MEMORY]. Default: this host's memory.", valueName: "quantity"))
    var maxMemory: String?

    @Option(help: ArgumentHelp("Seconds between heartbeats, 1–45 [HEARTBEAT_INTERVAL]. Default: 15.", valueName: "seconds"))
    var heartbeatInterval: Int?

    @Option(help: ArgumentHelp("Serve the agent's own Prometheus metrics (/metrics) and /healthz, /readyz here, e.g. 127.0.0.1:9464. Default: off.", valueName: "host:port"))
    var metricsListen: String?

    @Option(help: ArgumentHelp("Seconds between metrics messages (node, sessions, health), 1–3600. Default: 30.", valueName: "seconds"))
    var metricsInterval = 30

    @Option(help: ArgumentHelp("Seconds between full session_sync reports (one is also sent on every connect), 10–86400. Default: 300.", valueName: "seconds"))
    var syncInterval = 300

    @Option(help: ArgumentHelp("""
        How to read the data of the stock server's vnc_data: auto (base64 when it is valid base64, else the \
        server's raw string), base64 (StreamSpace's k8s-agent convention) or raw. What the agent sends is \
        always base64. Default: auto.
        """, valueName: "auto|base64|raw"))
    var vncDataEncoding = "auto"

    @OptionGroup var driverOptions: RunDriverOptions

    @Option(help: ArgumentHelp("Where the agent keeps state (an API key the server issues; with several drivers, one folder per agent id). Default: /var/lib/streamspace-agent when root, else none.", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("CA certificate(s) (PEM) to trust for the Control Plane, instead of the system's.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Client certificate (PEM) for mutual TLS.", valueName: "file"))
    var clientCert: String?

    @Option(help: ArgumentHelp("Client private key (PEM) for mutual TLS.", valueName: "file"))
    var clientKey: String?

    @Flag(help: "Do not verify the Control Plane's certificate. For development only: anyone on the path can read the API key.")
    var insecureSkipTlsVerify = false

    func run() async throws {
        bootstrapLogging(driverOptions.logLevel, format: driverOptions.logFormat)
        let logger = Logger(label: "streamspace.agent")
        // A secret before anything can echo it (a driver's error, a server's body).
        if let apiKeyFile, let key = try? readFile(apiKeyFile, what: "--api-key-file") {
            ProcessLog.redactor.add(String(decoding: key, as: UTF8.self).trimmingCharacters(in: " \n\r\t"))
        }
        do {
            let listen = try metricsListen.map { text throws(CLIError) in
                guard let address = ObservabilityServer.parse(text) else {
                    throw CLIError("--metrics-listen \(text.debugDescription) is not HOST:PORT (e.g. 127.0.0.1:9464)")
                }
                return address
            }
            let drivers = try await DriverLoader.load(try driverOptions.requests())
            let configurations: [LinkConfiguration]
            do throws(CLIError) {
                configurations = try linkConfigurations(environment: ProcessEnvironment.current, drivers: drivers)
            } catch {
                for loaded in drivers { await loaded.driver.destroy() }
                throw error
            }
            if let unclaimed = APIKeyStore.unclaimedInheritedKey(configurations) { logger.notice("\(unclaimed)") }
            var links = AgentLinks(drivers: drivers, configurations: configurations, logger: logger)
            links.metricsListen = listen
            try await links.run()
        } catch let error as CLIError {
            error.exit()
        }
    }

    /// Flags, then environment, then defaults, for each driver's link; every problem at once,
    /// one line each. One driver registers as --agent-id; several as <agent-id>-<driver name>
    /// (or their --driver-agent-id), each with its own driver's platform.
    func linkConfigurations(environment: [String: String], drivers: [LoadedDriver]) throws(CLIError) -> [LinkConfiguration] {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let text = environment[variable], !text.isEmpty { return text }
            return nil
        }
        let several = drivers.count > 1
        var problems: [String] = []
        let url = value(controlPlaneUrl, "CONTROL_PLANE_URL")
        let agentID = value(agentId, "AGENT_ID")
        if url == nil { problems.append("--control-plane-url (or CONTROL_PLANE_URL) is required") }
        if agentID == nil, drivers.contains(where: { $0.agentID == nil }) {
            problems.append(several ? "--agent-id (or AGENT_ID) is required: several drivers register as <agent-id>-<driver name> unless --driver-agent-id names each"
                                    : "--agent-id (or AGENT_ID) is required")
        }

        var key = value(apiKey, "AGENT_API_KEY")
        if let apiKeyFile {
            do throws(CLIError) {
                key = String(decoding: try readFile(apiKeyFile, what: "--api-key-file"), as: UTF8.self)
                    .trimmingCharacters(in: " \n\r\t")
            } catch {
                problems.append(error.message)
            }
        }
        let maxSessionsValue: Int? = maxSessions ?? environment["MAX_SESSIONS"].flatMap { Int($0) }
        if maxSessions == nil, let text = environment["MAX_SESSIONS"], Int(text) == nil {
            problems.append("MAX_SESSIONS=\(text.debugDescription) is not a whole number")
        }
        let cpu = value(maxCpu, "MAX_CPU") ?? HostFacts.cpuCores()
        let memory = value(maxMemory, "MAX_MEMORY") ?? HostFacts.memory()
        if ResourceQuantity.cpuMillicores(cpu) == nil { problems.append("--max-cpu \(cpu.debugDescription) is not a CPU quantity (examples: 16, 16000m)") }
        if ResourceQuantity.bytes(memory) == nil { problems.append("--max-memory \(memory.debugDescription) is not a memory quantity (examples: 64Gi, 512Mi)") }
        var heartbeat = heartbeatInterval
        if heartbeat == nil, let text = environment["HEARTBEAT_INTERVAL"] {
            heartbeat = Int(text.hasSuffix("s") ? String(text.dropLast()) : text)
            if heartbeat == nil { problems.append("HEARTBEAT_INTERVAL=\(text.debugDescription) is not a number of seconds") }
        }
        for (flag, path) in [("--ca-file", caFile), ("--client-cert", clientCert), ("--client-key", clientKey)] {
            if let path, access(path, R_OK) != 0 { problems.append("\(flag) \(path): \(String(cString: strerror(errno)))") }
        }
        let platformValue = value(platform, "PLATFORM")
        if several {
            if let platformValue {
                let given = platform != nil ? "--platform \(platformValue)" : "PLATFORM=\(platformValue)"
                problems.append("\(given) cannot apply to several drivers: each registers with its own driver's platform")
            }
            if key == nil, clientCert != nil {
                problems.append("a client certificate names one agent (its CN) and several drivers are several agents: add an API key (--api-key-file or AGENT_API_KEY)")
            }
        }

        var shared = LinkConfiguration(
            controlPlaneURL: url ?? "", agentID: "", apiKey: key, platform: "",
            region: value(region, "REGION") ?? "default",
            capacity: .init(maxSessions: maxSessionsValue ?? 10, cpu: cpu, memory: memory))
        shared.heartbeatInterval = .seconds(heartbeat ?? 15)
        if !(1...3600).contains(metricsInterval) { problems.append("--metrics-interval \(metricsInterval) is not 1–3600 seconds") }
        if !(10...86400).contains(syncInterval) { problems.append("--sync-interval \(syncInterval) is not 10–86400 seconds") }
        shared.metricsInterval = .seconds(metricsInterval)
        shared.syncInterval = .seconds(syncInterval)
        if let encoding = VNCDataEncoding(rawValue: vncDataEncoding) {
            shared.vncDataEncoding = encoding
        } else {
            problems.append("--vnc-data-encoding \(vncDataEncoding.debugDescription) is not auto, base64 or raw")
        }
        shared.tls.caFile = caFile
        shared.tls.clientCertificateFile = clientCert
        shared.tls.clientKeyFile = clientKey
        shared.tls.insecureSkipVerify = insecureSkipTlsVerify
        if let policyPath = value(policy, "AGENT_POLICY") {
            do throws(LinkError) {
                shared.policy = try LocalPolicy.load(path: policyPath)
            } catch {
                problems.append(error.description)
            }
        }
        let stateDirectory = stateDir ?? (getuid() == 0 ? "/var/lib/streamspace-agent" : nil)

        var configurations = drivers.map {
            Self.configuration(shared, for: $0, several: several, agentID: agentID, platform: platformValue, stateDirectory: stateDirectory)
        }
        // Several drivers share the host: each reports its share, and one limit holds for all.
        // The local policy's maxSessions holds for all drivers together, one driver or several.
        let capacityValues = driverOptions.capacityValues(several: several, problems: &problems)
        var hostLimits: HostCapacity.Limits?
        if several,
           let split = DriverCapacities.resolve(host: shared.capacity, values: capacityValues, drivers: drivers, problems: &problems) {
            for index in configurations.indices { configurations[index].capacity = split.capacities[index] }
            hostLimits = split.limits
        }
        let hostCapacity = HostCapacity.limit(host: hostLimits, policySessions: shared.policy.maxSessions)
        for index in configurations.indices { configurations[index].hostCapacity = hostCapacity }
        let idsKnown = agentID != nil || drivers.allSatisfy { $0.agentID != nil }
        if idsKnown && several { problems += Self.agentIDProblems(configurations, drivers, stateDirectory: stateDirectory) }
        if url != nil && idsKnown {
            for problem in configurations.flatMap({ $0.problems() }) where !problems.contains(problem) {
                problems.append(problem)
            }
        }
        if !problems.isEmpty { throw CLIError(problems) }
        return configurations
    }

    /// One driver's link: what all share, plus its agent id, platform, key folder and metadata.
    private static func configuration(_ shared: LinkConfiguration, for loaded: LoadedDriver, several: Bool,
                                      agentID: String?, platform: String?, stateDirectory: String?) -> LinkConfiguration {
        var configuration = shared
        let description = loaded.driver.description
        configuration.agentID = loaded.agentID ?? (several ? agentID.map { "\($0)-\(description.name)" } : agentID) ?? ""
        configuration.platform = several ? description.platform : platform ?? description.platform
        // Each agent keeps the key the server issues it in a folder of its own.
        configuration.stateDirectory = several
            ? stateDirectory.map { "\($0)/\(LinkConfiguration.percentEncode(configuration.agentID))" } : stateDirectory
        // A key a one-driver agent stored was issued to --agent-id: that agent id's driver takes it.
        if several, let stateDirectory, let agentID {
            configuration.inheritedKey = .init(directory: stateDirectory, owner: agentID)
        }
        configuration.metadata = ["driver": description.name, "driverVersion": description.version,
                                  "agentVersion": AgentVersion.current]
        return configuration
    }

    /// The Control Plane maps one agent id to one platform: two drivers may not share one. And
    /// each id names a folder of the state dir.
    private static func agentIDProblems(_ configurations: [LinkConfiguration], _ drivers: [LoadedDriver],
                                        stateDirectory: String?) -> [String] {
        var problems: [String] = []
        var reported: Set<String> = []
        for configuration in configurations where !reported.contains(configuration.agentID) {
            let users = zip(configurations, drivers).filter { $0.0.agentID == configuration.agentID }.map(\.1.shown)
            if users.count > 1 {
                reported.insert(configuration.agentID)
                problems.append("agent id \(configuration.agentID) would be used by drivers \(users.joined(separator: " and ")): give each its own (--driver-agent-id NAME=ID)")
            }
            if stateDirectory != nil, LinkConfiguration.percentEncode(configuration.agentID).utf8.count > Int(NAME_MAX) {
                problems.append("agent id \(configuration.agentID.debugDescription) is too long to name its folder in the state dir: give a shorter one")
            }
        }
        return problems
    }
}

enum AgentVersion {
    static let current = "0.1.0"
}

/// Defaults for the capacity flags, read from this host.
enum HostFacts {
    static func cpuCores() -> String { String(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    static func memory() -> String {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        let mebibytes = max(1, pages * pageSize / (1 << 20))
        return "\(mebibytes)Mi"
    }
}
