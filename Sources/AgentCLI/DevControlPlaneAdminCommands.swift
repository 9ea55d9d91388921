import ArgumentParser
import DevControlPlane
import Glibc
import DriverModel

// The admin verbs: each one call of the dev control plane's admin API.

struct DevControlPlaneAgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents", abstract: "List registered agents: approval, online/offline, sessions, last heartbeat.")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let agents = await admin.call { try await $0.agents() }
        admin.show(agents, columns: [
            ("AGENT", \.agentId), ("APPROVAL", \.approvalStatus.rawValue), ("STATUS", \.status),
            ("SESSIONS", { $0.activeSessions.map(String.init) ?? "-" }), ("PLATFORM", \.platform), ("REGION", \.region),
            ("CONNECTIONS", { String($0.connections) }), ("LAST HEARTBEAT", { $0.lastHeartbeat ?? "-" }),
        ], empty: "No agent has registered yet. Start one with --control-plane-url pointing at the agent endpoint.")
    }
}

struct DevControlPlaneApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve an agent: its next registration answers 200 and it may connect.")
    @Argument(help: "The agent id.") var agentId: String
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let agent = await admin.call { try await $0.approve(agentId) }
        if admin.json { return admin.printJSON(agent) }
        print("approved \(agent.agentId): it connects on its next registration (pending agents retry every 30 s)")
    }
}

struct DevControlPlaneRejectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject an agent: registration answers 403 and its connection is closed.")
    @Argument(help: "The agent id.") var agentId: String
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let agent = await admin.call { try await $0.reject(agentId) }
        if admin.json { return admin.printJSON(agent) }
        print("rejected \(agent.agentId)")
    }
}

struct DevControlPlaneSessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List sessions and their state as the agents reported it; URL only once viewable (vncReady, vncPort > 0).")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let sessions = await admin.call { try await $0.sessions() }
        admin.show(sessions, columns: [
            ("SESSION", \.sessionId), ("AGENT", \.agentId), ("STATE", \.state), ("USER", { $0.user ?? "-" }),
            ("TEMPLATE", { $0.template ?? "-" }), ("URL", { $0.url ?? "-" }),
        ], empty: "No sessions. Create one with: agent dev-control-plane create --user alice --template firefox")
    }
}

struct DevControlPlaneCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Start a session: sends start_session with a template manifest, as the real server does.",
        discussion: """
            The session id is {user}-{template}-{8 hex}. Without --manifest, the template is a \
            LinuxServer-style one built from --image and --port (defaults: the server's \
            --default-image and --default-port), home at /config, PUID/PGID/TZ set.
            """)
    @Option(help: "The user the session belongs to (lowercase letters, digits, '-').") var user: String
    @Option(help: "The template name.") var template: String
    @Option(help: "The agent to run it on. Default: the first connected, approved agent.") var agent: String?
    @Option(help: "Image of the session.") var image: String?
    @Option(help: "Viewer port in the container.") var port: Int?
    @Option(help: ArgumentHelp("A Template CRD as JSON: inline or a file.", valueName: "json-or-file")) var manifest: String?
    @Option(help: "Namespace for the command.") var namespace: String?
    @Option(help: "CPU, e.g. 1000m.") var cpu: String?
    @Option(help: "Memory, e.g. 2Gi.") var memory: String?
    @Flag(help: "No persistent home volume.") var noPersistentHome = false
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        var templateManifest: JSONValue?
        if let manifest {
            do { templateManifest = try jsonObjectArgument(manifest, what: "--manifest") } catch { error.exit() }
        }
        let request = SessionRequest(agentId: agent, user: user, template: template, templateManifest: templateManifest,
                                     image: image, port: port, namespace: namespace, cpu: cpu, memory: memory,
                                     persistentHome: noPersistentHome ? false : nil)
        let created = await admin.call { try await $0.createSession(request) }
        if admin.json { return admin.printJSON(created) }
        print("session \(created.sessionId): start_session sent as \(created.commandId); watch it with `sessions`")
    }
}

/// hibernate / wake / delete share their shape.
protocol SessionVerb: AsyncParsableCommand {
    var sessionId: String { get }
    var admin: AdminOptions { get }
    static var action: String { get }
    func send(_ client: DevControlPlaneClient) async throws -> String
}

extension SessionVerb {
    func run() async throws {
        let commandId = await admin.call { try await send($0) }
        if admin.json { return admin.printJSON(CommandsSent(commandIds: [commandId])) }
        print("\(Self.action) sent for \(sessionId) as \(commandId)")
    }
}

struct DevControlPlaneHibernateCommand: SessionVerb {
    static let configuration = CommandConfiguration(commandName: "hibernate", abstract: "Hibernate a session (hibernate_session).")
    static let action = "hibernate_session"
    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var admin: AdminOptions
    func send(_ client: DevControlPlaneClient) async throws -> String { try await client.hibernate(sessionId) }
}

struct DevControlPlaneWakeCommand: SessionVerb {
    static let configuration = CommandConfiguration(commandName: "wake", abstract: "Wake a hibernated session (wake_session).")
    static let action = "wake_session"
    @Argument(help: "The session id.") var sessionId: String
    @OptionGroup var admin: AdminOptions
    func send(_ client: DevControlPlaneClient) async throws -> String { try await client.wake(sessionId) }
}

struct DevControlPlaneDeleteCommand: SessionVerb {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Stop a session (stop_session).")
    static let action = "stop_session"
    @Argument(help: "The session id.") var sessionId: String
    @Flag(help: "Delete its home volume too (deletePVC).") var deletePvc = false
    @OptionGroup var admin: AdminOptions
    func send(_ client: DevControlPlaneClient) async throws -> String { try await client.deleteSession(sessionId, deletePVC: deletePvc) }
}

struct DevControlPlaneResendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resend",
        abstract: "Send a recorded command again under the same command id (a replay: the real server retries under a new id).")
    @Argument(help: "The command id.") var commandId: String
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        await admin.call { try await $0.resend(commandId: commandId) }
        if admin.json { return admin.printJSON(CommandsSent(commandIds: [commandId])) }
        print("\(commandId) sent again")
    }
}

struct DevControlPlaneSendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a raw command or a raw text frame to an agent.",
        discussion: """
            --action/--payload wraps the payload in a command message with a fresh cmd- id. \
            --raw sends the text verbatim as one frame: garbage, a numeric timestamp, two \
            messages on two lines, to see how the agent copes. A disconnected agent: the \
            command fails at once, nothing is queued (like the real server).

            Examples:
              agent dev-control-plane send dev-1 --action stop_session --payload '{"sessionId":"x-1"}'
              agent dev-control-plane send dev-1 --raw '{"type":"command","timestamp":1733340000,"payload":{}}'
            """)
    @Argument(help: "The agent id.") var agentId: String
    @Option(help: "The command's action, e.g. start_session, stop_session, hibernate_session, wake_session.") var action: String?
    @Option(help: ArgumentHelp("The command's payload: a JSON object, inline or a file.", valueName: "json-or-file")) var payload: String?
    @Option(help: "Text to send verbatim as one frame.") var raw: String?
    @OptionGroup var admin: AdminOptions

    func validate() throws {
        if (action == nil) == (raw == nil) { throw ValidationError("give either --action (with --payload) or --raw") }
        if raw != nil && payload != nil { throw ValidationError("--payload goes with --action, not --raw") }
    }

    func run() async throws {
        if let raw {
            await admin.call { try await $0.sendRaw(raw, to: agentId) }
            return print("sent \(raw.utf8.count) bytes to \(agentId) as one frame")
        }
        var body = JSONValue.object([:])
        if let payload {
            do { body = try jsonObjectArgument(payload, what: "--payload") } catch { error.exit() }
        }
        let commandId = await admin.call { try await $0.send(action: action!, payload: body, to: agentId) }
        if admin.json { return admin.printJSON(CommandsSent(commandIds: [commandId])) }
        print("sent \(action!) to \(agentId) as \(commandId); follow it with `commands`")
    }
}

struct DevControlPlaneCommandsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commands", abstract: "List commands sent and what came back: sent, acked, completed or failed.")
    @Option(help: "Only this agent's.") var agent: String?
    @Option(help: "Only in this state: sent, acked, completed, failed.") var state: String?
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        var filter: CommandState?
        if let state {
            guard let parsed = CommandState(rawValue: state) else { CLIError("--state must be sent, acked, completed or failed").exit() }
            filter = parsed
        }
        let commands = await admin.call { try await $0.commands(agentId: agent, state: filter) }
        admin.show(commands, columns: [
            ("COMMAND", \.commandId), ("AGENT", \.agentId), ("ACTION", \.action), ("STATE", \.state.rawValue),
            ("SESSION", { $0.sessionId ?? "-" }), ("UPDATED", \.updatedAt),
            ("RESULT", { ($0.error ?? $0.result?.jsonString() ?? "").clipped(60) }),
        ], empty: "No commands sent yet.")
    }
}

struct DevControlPlaneMetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Show each agent's last metrics message (extension: node, sessions, health).")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let metrics = await admin.call { try await $0.metrics() }
        admin.show(metrics, columns: [
            ("AGENT", \.agentId), ("RECEIVED", \.receivedAt), ("COUNT", { String($0.count) }),
            ("HEALTH", { $0.payload["health"]?["status"]?.stringValue ?? "-" }),
            ("NODE", { ($0.payload["node"]?.jsonString() ?? "-").clipped(100) }),
        ], empty: "No metrics received yet (agents send them every metrics interval).")
    }
}

struct DevControlPlaneLogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Fetch a session's logs from its agent (logs_request → log_chunk… → log_end).",
        discussion: "With --follow, prints as the agent sends and stops on Ctrl-C: the server then sends logs_cancel.")
    @Argument(help: "The session id.") var sessionId: String
    @Flag(help: "Keep printing new lines.") var follow = false
    @Option(help: "Only the last N lines.") var tail: Int?
    @Option(help: "Only lines since this RFC 3339 time.") var since: String?
    @Option(help: "Seconds to wait for the end of the logs (without --follow).") var timeout: Double?
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        if follow {
            await admin.call { client in
                try await client.followLogs(sessionId: sessionId, tailLines: tail) { text in
                    print(text, terminator: "")
                    fflush(nil)
                    return true
                }
            }
            return
        }
        let result = await admin.call { try await $0.logs(sessionId: sessionId, tailLines: tail, sinceTime: since, timeoutSeconds: timeout) }
        if admin.json { return admin.printJSON(result) }
        print(result.text, terminator: "")
        if !result.stream.ended {
            printError("dev-control-plane: the agent did not end the logs in time (cancelled)")
        } else if let error = result.stream.error, !error.isEmpty {
            printError("dev-control-plane: the agent reported: \(error)")
        }
    }
}

struct DevControlPlaneRejectedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejected",
        abstract: "List messages dropped as the real server would drop them, and why.",
        discussion: "Stages: decode (not one JSON object, bad timestamp), types (a Go type mismatch), handling (no commandId, unknown request...).")
    @Option(help: "Only this agent's.") var agent: String?
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let rejected = await admin.call { try await $0.rejected(agentId: agent) }
        admin.show(rejected, columns: [
            ("RECEIVED", \.receivedAt), ("AGENT", \.agentId), ("STAGE", \.stage.rawValue), ("TYPE", { $0.type ?? "-" }),
            ("REASON", { $0.reason.clipped(120) }),
        ], empty: "Nothing dropped: every message would pass the real server's decoding.")
    }
}

struct DevControlPlaneEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "What happened: registrations, approvals, connections, disconnections and why.")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
        let events = await admin.call { try await $0.events() }
        admin.show(events, columns: [
            ("TIME", \.at), ("KIND", \.kind), ("AGENT", { $0.agentId ?? "-" }), ("DETAIL", \.detail),
        ], empty: "No events yet.")
    }
}
