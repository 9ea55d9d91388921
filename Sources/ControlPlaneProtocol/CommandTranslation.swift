import DriverModel

/// Turns the real server's command payloads into driver requests, and driver answers into the
/// messages the server understands.
public enum CommandTranslation {
    /// The session id a session command carries, after the payload's fields were checked
    /// against the table (`PayloadField`) for the action's context.
    public static func sessionID(_ payload: JSONValue, action: String) throws(DriverError) -> String {
        guard let context = PayloadField.Context(action: action) else {
            throw DriverError(.unsupported, "unknown action \(action.debugDescription)")
        }
        let fields = try FieldReader(payload, context)
        if context != .startSession { _ = try fields.string(.namespace) }
        return try sessionID(fields)
    }

    static func sessionID(_ fields: FieldReader) throws(DriverError) -> String {
        let id = try fields.nonEmptyString(.sessionId)
        if let problem = SessionID.problem(id) { throw fields.invalid(.sessionId, problem) }
        return id
    }

    /// `start_session` → SessionSpec. Resources: the command's top-level `cpu`/`memory`, else the
    /// template's `spec.defaultResources`, else 1000m / 2Gi (the server's own fallbacks). Every
    /// field is read by its row in `PayloadField`: a wrong type is an error, never a default.
    public static func sessionSpec(fromStart payload: JSONValue) throws(DriverError) -> SessionSpec {
        let fields = try FieldReader(payload, .startSession)
        let id = try sessionID(fields)
        let user = try fields.nonEmptyString(.user)
        _ = try fields.string(.namespace)
        let manifest = try fields.object(.templateManifest)!  // required: `object` threw if absent
        // The manifest is a Template CRD: its fields live under "spec" (a bare spec is accepted).
        let metadata = try manifest.object(.manifestMetadata)
        let template = try manifest.object(.manifestSpec) ?? manifest
        // Both members of each alternative are read, so either one of the wrong type is refused.
        let baseImage = try template.string(.baseImage), plainImage = try template.string(.image)
        guard let image = nonEmpty(baseImage) ?? nonEmpty(plainImage) else {
            throw template.invalid(.baseImage, "expected \(PayloadField.baseImage.expected), but it is missing or empty: the session has no image to run")
        }
        let manifestName = try metadata?.string(.manifestName)
        let templateName = try fields.string(.template) ?? manifestName

        var ports: [SessionSpec.Port] = []
        for port in try template.objects(.ports, each: .port) {
            let containerPort = try port.integer(.containerPort), alias = try port.integer(.portAlias)
            guard let number = containerPort ?? alias else {
                throw port.invalid(.containerPort, "expected \(PayloadField.containerPort.expected), but it is missing")
            }
            guard (1...65535).contains(number) else { throw port.invalid(.containerPort, "\(number) is not 1–65535") }
            let name = portName(try port.string(.portName), number: Int(number), taken: ports.map(\.name))
            ports.append(.init(name: name, port: Int(number), protocol: try port.string(.portProtocol)?.lowercased()))
        }
        let vncPort = try template.object(.vnc)?.integer(.vncPort)
        if ports.isEmpty, let vncPort {
            guard (1...65535).contains(vncPort) else { throw template.invalid(.vnc, "port \(vncPort) is not 1–65535") }
            ports.append(.init(name: "vnc", port: Int(vncPort), protocol: "tcp"))
        }

        var env: [String: String] = [:]
        for variable in try template.objects(.env, each: .envVar) {
            env[try variable.string(.envName)!] = try variable.string(.envValue) ?? ""
        }
        var mounts: [SessionSpec.VolumeMount] = []
        for mount in try template.objects(.volumeMounts, each: .volumeMount) {
            mounts.append(.init(name: try mount.string(.mountName)!, mountPath: try mount.string(.mountPath)!))
        }

        let defaults = try template.object(.defaultResources)
        let defaultCPU = try defaults?.string(.defaultCPU), defaultMemory = try defaults?.string(.defaultMemory)
        let cpu = nonEmpty(try fields.string(.cpu)) ?? nonEmpty(defaultCPU) ?? "1000m"
        let memory = nonEmpty(try fields.string(.memory)) ?? nonEmpty(defaultMemory) ?? "2Gi"
        let resources = try SessionSpec.Resources(cpu: cpu, memory: memory)

        var labels: [String: String] = [:]
        if let namespace = nonEmpty(try fields.string(.namespace)) { labels["streamspace.io/namespace"] = namespace }

        let spec = SessionSpec(
            id: id, user: user,
            template: .init(name: templateName, image: image, env: env, ports: ports, volumeMounts: mounts),
            resources: resources,
            persistentHome: try fields.bool(.persistentHome) ?? false,
            labels: labels)
        try spec.validate()
        return spec
    }

    /// Template port names are free text in manifests ("VNC", absent); drivers take lowercase
    /// DNS-label names. Keep a usable name, else derive one from the number.
    static func portName(_ name: String?, number: Int, taken: [String]) -> String {
        let lowered = (name ?? "").lowercased()
        var candidate = lowered.isEmpty || lowered.count > 63
            || !lowered.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" })
            ? "port-\(number)" : lowered
        if taken.contains(candidate) { candidate = "port-\(number)" }
        var suffix = 2
        while taken.contains(candidate) {
            candidate = "port-\(number)-\(suffix)"
            suffix += 1
        }
        return candidate
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// `stop_session` → StopRequest (`deletePVC` asks to delete the home volume too).
    public static func stopRequest(_ payload: JSONValue) throws(DriverError) -> StopRequest {
        let fields = try FieldReader(payload, .stopSession)
        _ = try fields.string(.namespace)
        return StopRequest(sessionId: try sessionID(fields), deleteVolumes: try fields.bool(.deletePVC) ?? false)
    }

    /// `logs_request` → its request id and the LogRequest (our extension, by the table's rows).
    public static func logRequest(_ payload: JSONValue) throws(DriverError) -> (requestId: String, request: LogRequest) {
        let fields = try FieldReader(payload, .logsRequest)
        let requestID = try fields.nonEmptyString(.requestId)
        var request = LogRequest(sessionId: try sessionID(fields), follow: try fields.bool(.follow) ?? false)
        if let lines = try fields.integer(.tailLines) {
            guard lines >= 0, let count = Int(exactly: lines) else { throw fields.invalid(.tailLines, "expected \(PayloadField.tailLines.expected), got \(lines)") }
            request.tailLines = count
        }
        if let since = try fields.string(.sinceTime) {
            guard RFC3339.parse(since) != nil else { throw fields.invalid(.sinceTime, "expected \(PayloadField.sinceTime.expected), got \(since.debugDescription)") }
            request.sinceTime = since
        }
        return (requestID, request)
    }

    /// `logs_cancel` → the request id to cancel.
    public static func logCancel(_ payload: JSONValue) throws(DriverError) -> String {
        try FieldReader(payload, .logsCancel).nonEmptyString(.requestId)
    }

    // MARK: Driver answers → server messages

    /// The endpoint the Control Plane shows as the session's viewer: "vnc", else the first.
    public static func viewerEndpoint(_ status: SessionStatus) -> Endpoint? {
        status.endpoints.first { $0.name == "vnc" } ?? status.endpoints.first
    }

    /// The `status` message for a session. The server makes a session viewable only when
    /// vncReady and vncPort > 0: ready means running with a reachable (URL-bearing) viewer.
    /// A session still starting has no status the server takes (it set "pending" itself): nil,
    /// and the start command's own status follows when it runs or fails.
    public static func statusMessage(_ status: SessionStatus) -> Message? {
        if status.state == .starting { return nil }
        let viewer = viewerEndpoint(status)
        let state: String = switch status.state {
        case .starting, .running: "running"  // .starting is handled above
        case .hibernated: "hibernated"
        case .failed: "failed"
        case .terminated: "terminated"
        }
        let ready = status.state == .running && !(viewer?.url ?? "").isEmpty && (viewer?.port ?? 0) > 0
        return AgentMessage.status(sessionId: status.sessionId, state: state, vncReady: ready,
                                   vncPort: ready ? viewer?.port ?? 0 : 0,
                                   platformMetadata: platformMetadata(status))
    }

    /// The `status` message for a change the agent saw by itself (a driver's event, a re-read),
    /// `known` being what the server was last told. A session the server holds as running that
    /// is starting again (its pod deleted and being replaced, its container restarting) still
    /// exists and comes back by itself, but nothing serves it now: it stays `running` with
    /// vncReady false, so the server takes its URL away at once instead of sending users to it
    /// until the replacement runs. Otherwise as `statusMessage(status)`.
    public static func statusMessage(_ status: SessionStatus, after known: SessionStatus?) -> Message? {
        guard status.state == .starting, known?.state == .running else { return statusMessage(status) }
        return AgentMessage.status(sessionId: status.sessionId, state: "running", vncReady: false, vncPort: 0,
                                   platformMetadata: platformMetadata(status))
    }

    /// What the server stores about where a session runs: the driver's metadata, the endpoints'
    /// URLs, and the failure message when there is one.
    public static func platformMetadata(_ status: SessionStatus) -> [String: JSONValue] {
        var metadata = status.platformMetadata
        // The real server keeps only `podName`: every driver's workload goes there.
        if metadata["podName"] == nil, let workload = metadata["workloadName"], case .string = workload {
            metadata["podName"] = workload
        }
        if !status.endpoints.isEmpty {
            metadata["endpoints"] = .array(status.endpoints.map { endpoint in
                var members: [String: JSONValue] = ["name": .string(endpoint.name)]
                if let port = endpoint.port { members["port"] = .int(Int64(port)) }
                if let url = endpoint.url { members["url"] = .string(url) }
                return .object(members)
            })
        }
        if let url = viewerEndpoint(status)?.url { metadata["url"] = .string(url) }
        if let message = status.message { metadata["message"] = .string(message) }
        return metadata
    }

    /// `complete.result` for a command that did what it asked: ours (`sessionId`, `state`,
    /// `url`) beside what StreamSpace's k8s-agent answers (`success`, and `data` with
    /// `sessionId`, `podName`, `podIP`, `vncPort`, `state`, and for a start `deployment`,
    /// `service`, `pvc` when the driver names them), so a server written against either reads it.
    public static func completeResult(action: String, _ status: SessionStatus) -> [String: JSONValue] {
        var result: [String: JSONValue] = ["sessionId": .string(status.sessionId), "state": .string(status.state.rawValue)]
        let viewer = viewerEndpoint(status)
        if let url = viewer?.url { result["url"] = .string(url) }
        var data: [String: JSONValue] = ["sessionId": .string(status.sessionId), "state": .string(status.state.rawValue)]
        if action == "start_session" || action == "wake_session" {
            let metadata = platformMetadata(status)
            data["podName"] = metadata["podName"] ?? .string("")
            data["podIP"] = metadata["podIP"] ?? .string("")
            data["vncPort"] = .int(Int64(status.state == .running ? viewer?.port ?? 0 : 0))
            if action == "start_session" {
                for key in ["deployment", "service", "pvc"] {
                    if case .string? = metadata[key] { data[key] = metadata[key] }
                }
            }
        }
        result["success"] = .bool(true)
        result["data"] = .object(data)
        return result
    }
}
