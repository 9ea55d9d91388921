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

            Example:
              AGENT_API_KEY=$(cat key) agent --control-plane-url wss://cp.example.com \\
                --agent-id docker-host-1 --driver docker --region eu-west
            """)

    @Option(help: ArgumentHelp("The Control Plane's WebSocket URL, ws:// or wss:// [CONTROL_PLANE_URL].", valueName: "url"))
    var controlPlaneUrl: String?

    @Option(help: ArgumentHelp("This agent's id, 3–100 characters [AGENT_ID].", valueName: "id"))
    var agentId: String?

    @Option(help: ArgumentHelp("The API key: 64 hex characters [AGENT_API_KEY].", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("A file holding the API key.", valueName: "file"))
    var apiKeyFile: String?

    @Option(help: ArgumentHelp("The platform to register as: kubernetes, docker, vm or cloud [PLATFORM]. Default: the driver's.", valueName: "platform"))
    var platform: String?

    @Option(help: ArgumentHelp("The region to register in, 2–50 characters [REGION].", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("Most sessions this agent takes [MAX_SESSIONS]. Default: 10.", valueName: "n"))
    var maxSessions: Int?

    @Option(help: ArgumentHelp("CPU capacity to report, e.g. 16 or 16000m [MAX_CPU]. Default: this host's cores.", valueName: "quantity"))
    var maxCpu: String?

    @Option(help: ArgumentHelp("Memory capacity to report, e.g. 64Gi [MAX_MEMORY]. Default: this host's memory.", valueName: "quantity"))
    var maxMemory: String?

    @Option(help: ArgumentHelp("Seconds between heartbeats, 1–45 [HEARTBEAT_INTERVAL]. Default: 15.", valueName: "seconds"))
    var heartbeatInterval: Int?

    @OptionGroup var driverOptions: DriverOptions

    @Option(help: ArgumentHelp("Where the agent keeps state (an API key the server issues). Default: /var/lib/streamspace-agent when root, else none.", valueName: "dir"))
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
        bootstrapLogging(driverOptions.logLevel)
        let logger = Logger(label: "streamspace.agent")
        let environment = ProcessEnvironment.current
        do {
            let driver = try await driverOptions.createDriver()
            let configuration = try linkConfiguration(environment: environment, driver: driver)
            let link = AgentLink(configuration: configuration, driver: driver, logger: logger)
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: link, successTerminationBehavior: .gracefullyShutdownGroup,
                                 failureTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            do {
                try await group.run()
            } catch let error as LinkError {
                await driver.destroy()
                throw CLIError(error.description, exitCode: 1)
            }
            await driver.destroy()
        } catch let error as CLIError {
            error.exit()
        }
    }

    /// Flags, then environment, then defaults; every problem at once, one line each.
    func linkConfiguration(environment: [String: String], driver: Driver) throws(CLIError) -> LinkConfiguration {
        func value(_ flag: String?, _ variable: String) -> String? {
            if let flag { return flag }
            if let text = environment[variable], !text.isEmpty { return text }
            return nil
        }
        var problems: [String] = []
        let url = value(controlPlaneUrl, "CONTROL_PLANE_URL")
        let agentID = value(agentId, "AGENT_ID")
        if url == nil { problems.append("--control-plane-url (or CONTROL_PLANE_URL) is required") }
        if agentID == nil { problems.append("--agent-id (or AGENT_ID) is required") }

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

        var configuration = LinkConfiguration(
            controlPlaneURL: url ?? "", agentID: agentID ?? "", apiKey: key,
            platform: value(platform, "PLATFORM") ?? driver.description.platform,
            region: value(region, "REGION") ?? "default",
            capacity: .init(maxSessions: maxSessionsValue ?? 10, cpu: cpu, memory: memory))
        configuration.heartbeatInterval = .seconds(heartbeat ?? 15)
        configuration.tls.caFile = caFile
        configuration.tls.clientCertificateFile = clientCert
        configuration.tls.clientKeyFile = clientKey
        configuration.tls.insecureSkipVerify = insecureSkipTlsVerify
        configuration.stateDirectory = stateDir ?? (getuid() == 0 ? "/var/lib/streamspace-agent" : nil)
        configuration.metadata = ["driver": driver.description.name, "driverVersion": driver.description.version,
                                  "agentVersion": AgentVersion.current]
        if url != nil && agentID != nil { problems += configuration.problems() }
        if !problems.isEmpty { throw CLIError(problems.joined(separator: "\nagent: error: ")) }
        return configuration
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
