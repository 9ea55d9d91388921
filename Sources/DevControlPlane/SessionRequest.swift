import DriverModel

/// What `POST /sessions` and `DevControlPlane.createSession` take.
public struct SessionRequest: Sendable, Codable, Equatable {
    /// The agent to run it on; default: the first approved, connected agent.
    public var agentId: String?
    public var user: String
    public var template: String
    /// A Template CRD as JSON; default: one built from `image` and `port`.
    public var templateManifest: JSONValue?
    public var image: String?
    public var port: Int?
    public var namespace: String?
    public var cpu: String?
    public var memory: String?
    public var persistentHome: Bool?

    public init(agentId: String? = nil, user: String, template: String, templateManifest: JSONValue? = nil,
                image: String? = nil, port: Int? = nil, namespace: String? = nil, cpu: String? = nil,
                memory: String? = nil, persistentHome: Bool? = nil) {
        self.agentId = agentId
        self.user = user
        self.template = template
        self.templateManifest = templateManifest
        self.image = image
        self.port = port
        self.namespace = namespace
        self.cpu = cpu
        self.memory = memory
        self.persistentHome = persistentHome
    }
}

/// The `start_session` payload as the real server builds it (protocol, section 3).
enum SessionPayload {
    static func startSession(sessionId: String, request: SessionRequest, defaults: DevControlPlaneConfiguration) -> JSONValue {
        let namespace = request.namespace ?? defaults.namespace
        let manifest = request.templateManifest ?? defaultManifest(
            template: request.template, namespace: namespace,
            image: request.image ?? defaults.defaultImage, port: request.port ?? defaults.defaultPort)
        let resources = manifest["spec"]?["defaultResources"]
        let cpu = request.cpu ?? resources?["cpu"]?.stringValue ?? "1000m"
        let memory = request.memory ?? resources?["memory"]?.stringValue ?? "2Gi"
        return .object([
            "sessionId": .string(sessionId),
            "user": .string(request.user),
            "template": .string(request.template),
            "templateManifest": manifest,
            "namespace": .string(namespace),
            "cpu": .string(cpu),
            "memory": .string(memory),
            "persistentHome": .bool(request.persistentHome ?? true),
            "idleTimeout": .string("30m"),
            "maxSessionDuration": .string("8h"),
            "tags": .array([]),
        ])
    }

    /// A LinuxServer-style template: KasmVNC web UI on `port`, home at /config, PUID/PGID/TZ.
    static func defaultManifest(template: String, namespace: String, image: String, port: Int) -> JSONValue {
        func pair(_ key: String, _ value: String, _ valueKey: String = "value") -> JSONValue {
            .object(["name": .string(key), valueKey: .string(value)])
        }
        return .object([
            "apiVersion": .string("stream.space/v1alpha1"),
            "kind": .string("Template"),
            "metadata": .object(["name": .string(template), "namespace": .string(namespace)]),
            "spec": .object([
                "displayName": .string(template),
                "baseImage": .string(image),
                "ports": .array([.object(["name": .string("vnc"), "containerPort": .int(Int64(port)), "protocol": .string("TCP")])]),
                "env": .array([pair("PUID", "1000"), pair("PGID", "1000"), pair("TZ", "Etc/UTC")]),
                "volumeMounts": .array([pair("home", "/config", "mountPath")]),
                "defaultResources": .object(["memory": .string("2Gi"), "cpu": .string("1000m")]),
                "vnc": .object(["enabled": .bool(true), "port": .int(Int64(port)), "protocol": .string("websocket")]),
                "webapp": .object(["enabled": .bool(false)]),
                "capabilities": .array([.string("Network"), .string("Audio"), .string("Clipboard")]),
                "tags": .array([.string("dev")]),
            ]),
        ])
    }
}
