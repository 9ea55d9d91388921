import DriverModel

/// Turns the real server's command payloads into driver requests, and driver answers into the
/// messages the server understands.
public enum CommandTranslation {
    /// The session id every command carries.
    public static func sessionID(_ payload: JSONValue) throws(DriverError) -> String {
        guard case .string(let id)? = payload["sessionId"], !id.isEmpty else {
            throw DriverError(.invalidArgument, "the command has no string \"sessionId\"")
        }
        if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, problem) }
        return id
    }

    /// `start_session` → SessionSpec. Resources: the command's top-level `cpu`/`memory`, else the
    /// template's `spec.defaultResources`, else 1000m / 2Gi (the server's own fallbacks).
    public static func sessionSpec(fromStart payload: JSONValue) throws(DriverError) -> SessionSpec {
        let id = try sessionID(payload)
        let manifest = payload["templateManifest"] ?? .null
        if manifest != .null, manifest.objectValue == nil {
            throw DriverError(.invalidArgument, "\"templateManifest\" must be an object")
        }
        // The manifest is a Template CRD: its fields live under "spec".
        let template = manifest["spec"] ?? manifest
        guard let image = string(template["baseImage"]) ?? string(template["image"]), !image.isEmpty else {
            throw DriverError(.invalidArgument, "the template manifest has no spec.baseImage: the session has no image to run")
        }
        let templateName = string(payload["template"]) ?? string(manifest["metadata"]?["name"])
        let user = string(payload["user"]) ?? ""
        guard !user.isEmpty else { throw DriverError(.invalidArgument, "the command has no \"user\"") }

        var ports: [SessionSpec.Port] = []
        for (index, port) in (template["ports"]?.arrayValue ?? []).enumerated() {
            guard let number = port["containerPort"]?.intValue ?? port["port"]?.intValue else {
                throw DriverError(.invalidArgument, "spec.ports[\(index)] has no integer containerPort")
            }
            let name = portName(string(port["name"]), number: Int(number), taken: ports.map(\.name))
            ports.append(.init(name: name, port: Int(number), protocol: string(port["protocol"])?.lowercased()))
        }
        if ports.isEmpty, let vncPort = template["vnc"]?["port"]?.intValue {
            ports.append(.init(name: "vnc", port: Int(vncPort), protocol: "tcp"))
        }

        var env: [String: String] = [:]
        for variable in template["env"]?.arrayValue ?? [] {
            guard let name = string(variable["name"]) else { continue }
            env[name] = string(variable["value"]) ?? ""
        }
        let mounts = (template["volumeMounts"]?.arrayValue ?? []).compactMap { mount -> SessionSpec.VolumeMount? in
            guard let name = string(mount["name"]), let path = string(mount["mountPath"]) else { return nil }
            return SessionSpec.VolumeMount(name: name, mountPath: path)
        }

        let defaults = template["defaultResources"]
        let cpu = nonEmpty(payload["cpu"]) ?? nonEmpty(defaults?["cpu"]) ?? "1000m"
        let memory = nonEmpty(payload["memory"]) ?? nonEmpty(defaults?["memory"]) ?? "2Gi"
        let resources = try SessionSpec.Resources(cpu: cpu, memory: memory)

        var labels: [String: String] = [:]
        if let namespace = string(payload["namespace"]), !namespace.isEmpty { labels["streamspace.io/namespace"] = namespace }

        let spec = SessionSpec(
            id: id, user: user,
            template: .init(name: templateName, image: image, env: env, ports: ports, volumeMounts: mounts),
            resources: resources,
            persistentHome: payload["persistentHome"]?.boolValue ?? false,
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

    private static func string(_ value: JSONValue?) -> String? { value?.stringValue }

    private static func nonEmpty(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        return text
    }

    /// `stop_session` → StopRequest (`deletePVC` asks to delete the home volume too).
    public static func stopRequest(_ payload: JSONValue) throws(DriverError) -> StopRequest {
        StopRequest(sessionId: try sessionID(payload), deleteVolumes: payload["deletePVC"]?.boolValue ?? false)
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

    /// What the server stores about where a session runs: the driver's metadata, the endpoints'
    /// URLs, and the failure message when there is one.
    public static func platformMetadata(_ status: SessionStatus) -> [String: JSONValue] {
        var metadata = status.platformMetadata
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
}
