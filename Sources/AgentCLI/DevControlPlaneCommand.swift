import ArgumentParser
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import FoundationEssentials
import Glibc

/// `agent dev-control-plane ...`: a StreamSpace Control Plane for development and tests, and
/// the verbs that drive it through its admin API.
struct DevControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-control-plane",
        abstract: "Run a development StreamSpace Control Plane and drive it: agents, sessions, commands, logs.",
        discussion: """
            `serve` starts a Control Plane that speaks the real server's agent protocol, with its \
            strictness: registration with the X-Agent-API-Key header (202 pending until approved, \
            200 approved, 403 rejected, 401 bad key, 429 over 60 requests a minute), the WebSocket \
            at /api/v1/agents/connect, Go-strict JSON (a 1.0 where an integer belongs, a numeric \
            timestamp or two JSON values in one frame: the message is dropped and listed by \
            `rejected`), pings every 54 s and a 60 s pong timeout. The other verbs talk to its \
            admin API (loopback only, --admin-url, default http://127.0.0.1:8081).

            A session from scratch, in three terminals:
              agent dev-control-plane serve          (prints the agent URL and key)
              agent run --control-plane-url ws://127.0.0.1:8080 --agent-id dev-1 \\
                  --api-key KEY --driver mock
              agent dev-control-plane agents         (dev-1 is pending)
              agent dev-control-plane approve dev-1
              agent dev-control-plane create --user alice --template firefox
              agent dev-control-plane sessions       (a URL once viewable)
              agent dev-control-plane logs SESSION-ID --follow
              agent dev-control-plane delete SESSION-ID
              agent dev-control-plane rejected       (what the server dropped)
            """,
        subcommands: [
            DevControlPlaneServeCommand.self,
            DevControlPlaneAgentsCommand.self, DevControlPlaneApproveCommand.self, DevControlPlaneRejectCommand.self,
            DevControlPlaneSessionsCommand.self, DevControlPlaneCreateCommand.self,
            DevControlPlaneHibernateCommand.self, DevControlPlaneWakeCommand.self, DevControlPlaneDeleteCommand.self,
            DevControlPlaneSendCommand.self, DevControlPlaneResendCommand.self, DevControlPlaneCommandsCommand.self,
            DevControlPlaneMetricsCommand.self, DevControlPlaneLogsCommand.self,
            DevControlPlaneRejectedCommand.self, DevControlPlaneEventsCommand.self,
        ])
}

/// What every admin verb takes.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The dev control plane's admin API [DEV_CONTROL_PLANE_ADMIN_URL].", valueName: "url"))
    var adminUrl: String?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    var client: DevControlPlaneClient {
        let url = adminUrl ?? environmentValue("DEV_CONTROL_PLANE_ADMIN_URL") ?? "http://127.0.0.1:8081"
        return DevControlPlaneClient(adminURL: url)
    }

    /// Runs an admin call; its failure is one clear line and exit code 1.
    func call<T>(_ body: (DevControlPlaneClient) async throws -> T) async -> T {
        do {
            return try await body(client)
        } catch let error as DevControlPlaneError {
            CLIError(error.description, exitCode: 1).exit()
        } catch {
            CLIError("\(error)", exitCode: 1).exit()
        }
    }

    /// Prints records as a table, or as JSON with --json.
    func show<Record: Encodable>(_ records: [Record], columns: [(String, (Record) -> String)], empty: String) {
        if json { return printJSON(records) }
        guard !records.isEmpty else { return print(empty) }
        let rows = records.map { record in columns.map { $0.1(record) } }
        let widths = columns.indices.map { index in
            ([columns[index].0] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(to: widths[index])
            }.joined(separator: "  ")
        }
        print(line(columns.map(\.0)))
        for row in rows { print(line(row)) }
    }

    func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A non-empty environment variable.
func environmentValue(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    let text = String(cString: raw)
    return text.isEmpty ? nil : text
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    /// At most `limit` characters, with an ellipsis when cut.
    func clipped(_ limit: Int) -> String {
        count <= limit ? self : String(prefix(limit - 1)) + "…"
    }
}

/// Reads a JSON object given inline (starting with '{') or as a file.
func jsonObjectArgument(_ text: String, what: String) throws(CLIError) -> JSONValue {
    let bytes: [UInt8] = text.hasPrefix("{") ? Array(text.utf8) : try readFile(text, what: what)
    guard let value = try? StrictJSON.parse(bytes), value.objectValue != nil else {
        throw CLIError("\(what) must be a JSON object (inline, starting with '{', or a file)")
    }
    return value
}
