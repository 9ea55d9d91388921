/// Every field the agent reads from what the Control Plane sends: where it is, the JSON type it
/// must have, and what the agent does with it. One table, read by the decoders (through
/// `FieldReader`), rendered into `Docs/command-payloads.md`, and walked by the tests (each row is
/// tried with values of the wrong type). A field of the wrong type is an error naming the field and
/// the type expected — never a default. Fields not in the table are ignored: the server adds some.
/// A JSON `null` counts as absent (Go writes nil maps and slices as null).
public struct PayloadField: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case string, boolean, integer, object, array
    }

    /// Where the field lives: the message it comes in.
    public enum Context: String, Sendable, CaseIterable {
        case message = "every message"
        case command = "command"
        case startSession = "start_session"
        case stopSession = "stop_session"
        case hibernateSession = "hibernate_session"
        case wakeSession = "wake_session"
        case logsRequest = "logs_request"
        case logsCancel = "logs_cancel"
        case vncData = "vnc_data"
        case vncClose = "vnc_close"
        case tunnelOpen = "tunnel_open"
        case tunnelOpened = "tunnel_opened"
        case tunnelWindow = "tunnel_window"
        case tunnelEnd = "tunnel_end"
        case tunnelReset = "tunnel_reset"

        /// The context of a command's inner payload.
        public init?(action: String) {
            switch action {
            case "start_session": self = .startSession
            case "stop_session": self = .stopSession
            case "hibernate_session": self = .hibernateSession
            case "wake_session": self = .wakeSession
            default: return nil
            }
        }

        /// How the path of a field starts in error texts.
        public var root: String {
            switch self {
            case .message: "message"
            case .command: "command"
            default: "payload"
            }
        }
    }

    /// The path below the context's root; `[]` marks each element of an array
    /// (`templateManifest.spec.ports[].containerPort`).
    public let path: String
    public let kind: Kind
    /// What a good value looks like, as an error text says it: `a string like "1000m"`.
    public let expected: String
    public let required: Bool
    /// What the agent does with it (the docs' last column).
    public let rule: String
    public let contexts: [Context]

    /// The member name: the path's last component, without `[]` (worked out once: it is read
    /// on every decode).
    public let key: String

    /// True for a row that describes each element of an array (`spec.ports[]`).
    public let isElement: Bool

    public var description: String { path }

    init(_ path: String, _ kind: Kind, _ expected: String, required: Bool = false, _ rule: String, in contexts: [Context]) {
        self.path = path
        let last = path.split(separator: ".").last.map(String.init) ?? path
        self.isElement = last.hasSuffix("[]")
        self.key = isElement ? String(last.dropLast(2)) : last
        self.kind = kind
        self.expected = expected
        self.required = required
        self.rule = rule
        self.contexts = contexts
    }
}

extension PayloadField {
    private static let sessionCommands: [Context] = [.startSession, .stopSession, .hibernateSession, .wakeSession]
    private static let start: [Context] = [.startSession]

    // MARK: The envelope

    public static let messageType = PayloadField("type", .string, "a string (the message type)", required: true,
        "picks the handler; unknown types are logged at debug level and ignored", in: [.message])
    public static let messageTimestamp = PayloadField("timestamp", .string,
        #"an RFC 3339 string like "2025-12-04T13:11:05.123456789-07:00""#,
        "checked only: a command whose timestamp is unreadable is answered `failed`", in: [.message])
    public static let messagePayload = PayloadField("payload", .object, "an object", "the message's content; absent is `{}`", in: [.message])

    // MARK: command

    public static let commandId = PayloadField("commandId", .string, "a non-empty string (the command id)", required: true,
        "every reply (`ack`, `complete`, `failed`) carries it; an id seen before is not run again", in: [.command])
    public static let action = PayloadField("action", .string,
        "a string: start_session, stop_session, hibernate_session or wake_session", required: true,
        "what to do; any other action is answered `failed`", in: [.command])
    public static let commandPayload = PayloadField("payload", .object, "an object", "the action's fields, below; absent is `{}`", in: [.command])

    // MARK: Session commands

    public static let sessionId = PayloadField("sessionId", .string, #"a string like "alice-firefox-1a2b3c4d""#, required: true,
        "1–100 of a-z, 0-9, '.', '_', '-', starting and ending with a letter or digit; the idempotency key", in: sessionCommands + [.logsRequest, .vncData, .vncClose, .tunnelOpen])
    public static let namespace = PayloadField("namespace", .string, "a string", "start: kept as the label `streamspace.io/namespace`; otherwise checked only", in: sessionCommands)
    public static let user = PayloadField("user", .string, "a non-empty string (the user name)", required: true,
        "the session's owner; labels the workload", in: start)
    public static let template = PayloadField("template", .string, "a string (the template name)",
        "labels the workload; absent: `templateManifest.metadata.name`", in: start)
    public static let cpu = PayloadField("cpu", .string, #"a string like "1000m""#,
        "the CPU limit; absent or empty: `spec.defaultResources.cpu`, then 1000m", in: start)
    public static let memory = PayloadField("memory", .string, #"a string like "2Gi""#,
        "the memory limit; absent or empty: `spec.defaultResources.memory`, then 2Gi", in: start)
    public static let persistentHome = PayloadField("persistentHome", .boolean, "true or false",
        "keep a home volume across sessions; absent: false", in: start)
    public static let templateManifest = PayloadField("templateManifest", .object, "an object (the Template CRD)", required: true,
        "what to run", in: start)
    public static let manifestMetadata = PayloadField("templateManifest.metadata", .object, "an object", "the CRD's metadata", in: start)
    public static let manifestName = PayloadField("templateManifest.metadata.name", .string, "a string", "the template name when `template` is absent", in: start)
    public static let manifestSpec = PayloadField("templateManifest.spec", .object, "an object",
        "the template's fields; absent: the manifest itself is read as the spec", in: start)
    public static let baseImage = PayloadField("templateManifest.spec.baseImage", .string, #"a string like "lscr.io/linuxserver/firefox:latest""#,
        "the image; required unless `spec.image` is given", in: start)
    public static let image = PayloadField("templateManifest.spec.image", .string, "a string", "the image when `baseImage` is absent", in: start)
    public static let ports = PayloadField("templateManifest.spec.ports", .array, "an array of objects", "the ports the session serves", in: start)
    public static let port = PayloadField("templateManifest.spec.ports[]", .object, "an object like {\"name\": \"vnc\", \"containerPort\": 3000}", "one port", in: start)
    public static let portName = PayloadField("templateManifest.spec.ports[].name", .string, "a string",
        "lowercased; a name that is not a DNS label becomes `port-<number>`", in: start)
    public static let containerPort = PayloadField("templateManifest.spec.ports[].containerPort", .integer, "an integer 1–65535",
        "the port; required unless `port` is given", in: start)
    public static let portAlias = PayloadField("templateManifest.spec.ports[].port", .integer, "an integer 1–65535", "the port when `containerPort` is absent", in: start)
    public static let portProtocol = PayloadField("templateManifest.spec.ports[].protocol", .string, #"a string: "TCP" or "UDP""#, "lowercased; absent: tcp", in: start)
    public static let vnc = PayloadField("templateManifest.spec.vnc", .object, "an object", "the VNC settings", in: start)
    public static let vncPort = PayloadField("templateManifest.spec.vnc.port", .integer, "an integer 1–65535", "the `vnc` port when `ports` is empty", in: start)
    public static let env = PayloadField("templateManifest.spec.env", .array, "an array of objects", "the session's environment", in: start)
    public static let envVar = PayloadField("templateManifest.spec.env[]", .object, #"an object like {"name": "TZ", "value": "Etc/UTC"}"#, "one variable", in: start)
    public static let envName = PayloadField("templateManifest.spec.env[].name", .string, "a string of letters, digits and '_'", required: true,
        "the variable's name", in: start)
    public static let envValue = PayloadField("templateManifest.spec.env[].value", .string, "a string", "the value; absent: empty; control characters other than tab are refused", in: start)
    public static let volumeMounts = PayloadField("templateManifest.spec.volumeMounts", .array, "an array of objects", "where volumes go", in: start)
    public static let volumeMount = PayloadField("templateManifest.spec.volumeMounts[]", .object, #"an object like {"name": "home", "mountPath": "/config"}"#, "one mount", in: start)
    public static let mountName = PayloadField("templateManifest.spec.volumeMounts[].name", .string, "a string", required: true, "the volume's name", in: start)
    public static let mountPath = PayloadField("templateManifest.spec.volumeMounts[].mountPath", .string, #"an absolute path like "/config""#, required: true,
        "where it is mounted; `..` is refused", in: start)
    public static let defaultResources = PayloadField("templateManifest.spec.defaultResources", .object, "an object", "the template's resources", in: start)
    public static let defaultCPU = PayloadField("templateManifest.spec.defaultResources.cpu", .string, #"a string like "1000m""#, "the CPU limit when `cpu` is absent", in: start)
    public static let defaultMemory = PayloadField("templateManifest.spec.defaultResources.memory", .string, #"a string like "2Gi""#, "the memory limit when `memory` is absent", in: start)
    public static let deletePVC = PayloadField("deletePVC", .boolean, "true or false", "also delete the session's home volume; absent: false", in: [.stopSession])

    // MARK: Logs (our extension)

    public static let requestId = PayloadField("requestId", .string, "a non-empty string (the request id)", required: true,
        "every `log_chunk` and the `log_end` carry it", in: [.logsRequest, .logsCancel])
    public static let follow = PayloadField("follow", .boolean, "true or false", "keep the stream open for new lines; absent: false", in: [.logsRequest])
    public static let tailLines = PayloadField("tailLines", .integer, "an integer ≥ 0", "only the last lines; absent: all", in: [.logsRequest])
    public static let sinceTime = PayloadField("sinceTime", .string, "an RFC 3339 string", "only lines written at or after it", in: [.logsRequest])

    // MARK: Session traffic: the stock server's VNC relay, and the tunnel (our extension)

    public static let vncData = PayloadField("data", .string, "a string (base64; the stock server sends the raw bytes as a string)", required: true,
        "written to the session's viewer connection: base64-decoded, or the string's UTF-8 bytes when it is not base64 (`--vnc-data-encoding`)", in: [.vncData])
    public static let vncReason = PayloadField("reason", .string, "a string", "logged; the viewer connection is closed", in: [.vncClose])
    private static let tunnel: [Context] = [.tunnelOpen, .tunnelOpened, .tunnelWindow, .tunnelEnd, .tunnelReset]
    public static let streamId = PayloadField("streamId", .integer, "an integer 1–4294967295", required: true,
        "the stream; chosen by the Control Plane, unique among the connection's open streams", in: tunnel)
    public static let tunnelPort = PayloadField("port", .integer, "an integer 1–65535", required: true,
        "the session's published (template) port to dial; only a port of a running session's endpoints is dialled", in: [.tunnelOpen])
    public static let tunnelWindow = PayloadField("window", .integer, "an integer 1–16777216", required: true,
        "the bytes the sender of this message accepts before its first `tunnel_window`", in: [.tunnelOpen, .tunnelOpened])
    public static let tunnelBytes = PayloadField("bytes", .integer, "an integer 1–16777216", required: true,
        "more bytes the sender of this message accepts", in: [.tunnelWindow])
    public static let tunnelError = PayloadField("error", .string, "a string", "why the stream ended; logged", in: [.tunnelReset])

    /// The whole table, in the order the docs list it.
    public static let all: [PayloadField] = [
        messageType, messageTimestamp, messagePayload,
        commandId, action, commandPayload,
        sessionId, namespace, user, template, cpu, memory, persistentHome,
        templateManifest, manifestMetadata, manifestName, manifestSpec, baseImage, image,
        ports, port, portName, containerPort, portAlias, portProtocol, vnc, vncPort,
        env, envVar, envName, envValue, volumeMounts, volumeMount, mountName, mountPath,
        defaultResources, defaultCPU, defaultMemory, deletePVC,
        requestId, follow, tailLines, sinceTime,
        vncData, vncReason, streamId, tunnelPort, tunnelWindow, tunnelBytes, tunnelError,
    ]

    /// The rows that apply in one context.
    public static func fields(in context: Context) -> [PayloadField] { all.filter { $0.contexts.contains(context) } }
}

extension PayloadField {
    /// The table as Markdown, one section per context: what `Docs/command-payloads.md` holds
    /// between its markers (a test keeps the two the same).
    public static func markdown() -> String {
        var text = ""
        for context in Context.allCases {
            let rows = fields(in: context)
            text += "\n### \(context.rawValue)\n\n| Field | Type | Required | Expected | What the agent does |\n|---|---|---|---|---|\n"
            for row in rows {
                let cells = ["`\(context.root).\(row.path)`", row.kind.rawValue, row.required ? "yes" : "", row.expected, row.rule]
                text += "| " + cells.map { $0.replacingPipes() }.joined(separator: " | ") + " |\n"
            }
        }
        return text
    }
}

private extension String {
    func replacingPipes() -> String {
        var out = ""
        for character in self { out += character == "|" ? "\\|" : String(character) }
        return out
    }
}
