import ArgumentParser
import DevControlPlane
import Glibc
import Logging
import ServiceLifecycle
import UnixSignals

/// `agent dev-control-plane serve`: runs the dev control plane until SIGINT or SIGTERM.
struct DevControlPlaneServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the dev control plane: the agent endpoints and the admin API.",
        discussion: """
            Prints the agent URL, the admin URL and the bootstrap API key, then serves until \
            SIGINT or SIGTERM. Without --api-key a random 64-hex key is made (like \
            `openssl rand -hex 32`). New agents wait for `approve` unless --auto-approve.

            TLS: --tls-cert and --tls-key serve wss:// and https://. Add --client-ca for mutual \
            TLS: every client must then present a certificate signed by that CA, and a \
            certificate whose CN is the agent id stands in for the API key.

            Realism knobs for testing an agent: --close-fresh-connections N closes the first N \
            connections right after they open (the real server's reconnect race); \
            --rate-limit, --ping-interval and --pong-timeout shrink the real figures.
            """)

    @Option(help: "Address of the agent endpoint.")
    var host = "127.0.0.1"

    @Option(help: "Port of the agent endpoint (0: any free port).")
    var port = 8080

    @Option(help: "Address of the admin API. Keep it on loopback: it has no authentication.")
    var adminHost = "127.0.0.1"

    @Option(help: "Port of the admin API (0: any free port).")
    var adminPort = 8081

    @Option(help: "Address of the viewer, which serves each running session at /sessions/<id>/ through the agent's session tunnel. It has no authentication: keep it on loopback.")
    var viewerHost = "127.0.0.1"

    @Option(help: "Port of the viewer (0: any free port).")
    var viewerPort = 0

    @Option(help: ArgumentHelp("The bootstrap API key, 64 hex characters [DEV_CONTROL_PLANE_API_KEY]. Default: a random one, printed.", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("A file holding the bootstrap API key.", valueName: "file"))
    var apiKeyFile: String?

    @Flag(help: "Approve new agents at once (200 instead of 202 pending).")
    var autoApprove = false

    @Flag(help: "Give each approved agent its own API key (apiKey in the approval answer).")
    var issueAgentKeys = false

    @Option(help: ArgumentHelp("Server certificate chain (PEM): serve wss:// and https://.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("Server private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("CA (PEM) that must have signed every client's certificate (mutual TLS).", valueName: "file"))
    var clientCa: String?

    @Option(help: ArgumentHelp("Seconds between WebSocket pings.", valueName: "seconds"))
    var pingInterval = 54.0

    @Option(help: ArgumentHelp("Seconds without a ping or pong from the agent before the connection is closed.", valueName: "seconds"))
    var pongTimeout = 60.0

    @Option(help: ArgumentHelp("Seconds without a JSON heartbeat before an agent shows offline.", valueName: "seconds"))
    var heartbeatTimeout = 45.0

    @Option(help: ArgumentHelp("Requests per minute per client IP on the agent routes (0: no limit).", valueName: "n"))
    var rateLimit = 60

    @Flag(help: "Send one message per frame instead of batching queued messages with \\n.")
    var noBatch = false

    @Option(help: ArgumentHelp("Milliseconds the writer waits to gather messages into one frame.", valueName: "ms"))
    var batchWindowMs = 0

    @Option(help: ArgumentHelp("Close the first N fresh connections right after they open.", valueName: "n"))
    var closeFreshConnections = 0

    @Option(help: ArgumentHelp("Messages that may wait to be sent per connection; more and the agent is dropped, as the real server does (0: no limit).", valueName: "n"))
    var sendBufferSize = 256

    @Option(help: ArgumentHelp("Image of sessions created without a template manifest.", valueName: "image"))
    var defaultImage = "lscr.io/linuxserver/firefox:latest"

    @Option(help: ArgumentHelp("Viewer port of sessions created without a template manifest.", valueName: "port"))
    var defaultPort = 3000

    @Option(help: "Namespace put in session commands.")
    var namespace = "streamspace"

    @Option(help: "Log level (stderr): trace, debug, info, warning, error.")
    var logLevel: LogLevelOption = .info

    func run() async throws {
        bootstrapLogging(logLevel)
        do {
            let (configuration, generatedKey) = try makeConfiguration()
            let controlPlane = DevControlPlane(configuration: configuration, logger: Logger(label: "dev-control-plane"))
            let endpoints: DevControlPlaneEndpoints
            do {
                endpoints = try await controlPlane.start()
            } catch {
                throw CLIError("\(error)", exitCode: 1)
            }
            printBanner(endpoints, key: configuration.apiKey, generated: generatedKey)
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
            printError("dev-control-plane: stopping")
            await controlPlane.stop()
        } catch let error as CLIError {
            error.exit()
        }
    }

    private func makeConfiguration() throws(CLIError) -> (DevControlPlaneConfiguration, generated: Bool) {
        var key = apiKey ?? environmentValue("DEV_CONTROL_PLANE_API_KEY")
        if key == nil, let apiKeyFile {
            key = String(String(decoding: try readFile(apiKeyFile, what: "API key file"), as: UTF8.self)
                .filter { !$0.isWhitespace })
        }
        let generated = key == nil
        var configuration = DevControlPlaneConfiguration(
            host: host, port: port, adminHost: adminHost, adminPort: adminPort, apiKey: key ?? RandomHex.key(),
            autoApprove: autoApprove, issueAgentKeys: issueAgentKeys,
            pingInterval: try duration(pingInterval, "--ping-interval"), pongTimeout: try duration(pongTimeout, "--pong-timeout"),
            heartbeatTimeout: try duration(heartbeatTimeout, "--heartbeat-timeout"), rateLimitPerMinute: rateLimit,
            batchOutgoing: !noBatch, batchWindow: .milliseconds(max(0, batchWindowMs)),
            sendBufferSize: sendBufferSize, closeFreshConnections: closeFreshConnections, defaultImage: defaultImage, defaultPort: defaultPort,
            namespace: namespace)
        configuration.viewerHost = viewerHost
        configuration.viewerPort = viewerPort
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?):
            configuration.tls = .init(certificateFile: cert, privateKeyFile: key, clientCAFile: clientCa)
        case (nil, nil):
            if clientCa != nil { throw CLIError("--client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)") }
        default:
            throw CLIError("--tls-cert and --tls-key go together")
        }
        if let problem = configuration.problem() { throw CLIError(problem) }
        return (configuration, generated)
    }

    private func duration(_ seconds: Double, _ flag: String) throws(CLIError) -> Duration {
        guard seconds > 0, seconds.isFinite else { throw CLIError("\(flag) must be a positive number of seconds") }
        return .milliseconds(Int64(seconds * 1000))
    }

    private func printBanner(_ endpoints: DevControlPlaneEndpoints, key: String, generated: Bool) {
        print("""
            dev control plane running
              agent endpoint  \(endpoints.agentURL)   (register: \(endpoints.registerURL))
              admin API       \(endpoints.adminURL)
              viewer          \(endpoints.viewerURL)/sessions/<id>/   (running sessions, through the agent's tunnel)
              API key         \(key)\(generated ? "   (generated: pass --api-key to keep one)" : "")

            Point an agent at it:
              agent run --control-plane-url \(endpoints.agentURL) --api-key \(key) --agent-id dev-1 --driver mock
            Then:
              agent dev-control-plane agents\(adminFlag(endpoints))
              agent dev-control-plane approve dev-1\(adminFlag(endpoints))
              agent dev-control-plane create --user alice --template firefox\(adminFlag(endpoints))
            """)
        fflush(nil)
    }

    private func adminFlag(_ endpoints: DevControlPlaneEndpoints) -> String {
        endpoints.adminURL == "http://127.0.0.1:8081" ? "" : " --admin-url \(endpoints.adminURL)"
    }
}
