/// The platform-agnostic description of one session, as the host gives it to a driver
/// (Docs/schemas/session-spec.schema.json). The host has validated the id and parsed the
/// resource quantities before a driver sees it.
public struct SessionSpec: Codable, Sendable, Equatable {
    public var id: String
    public var user: String
    public var template: Template
    public var resources: Resources
    public var persistentHome: Bool
    public var labels: [String: String]

    public init(id: String, user: String, template: Template, resources: Resources = Resources(),
                persistentHome: Bool = false, labels: [String: String] = [:]) {
        self.id = id
        self.user = user
        self.template = template
        self.resources = resources
        self.persistentHome = persistentHome
        self.labels = labels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        user = try c.decode(String.self, forKey: .user)
        template = try c.decode(Template.self, forKey: .template)
        resources = try c.decodeIfPresent(Resources.self, forKey: .resources) ?? Resources()
        persistentHome = try c.decodeIfPresent(Bool.self, forKey: .persistentHome) ?? false
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    public struct Template: Codable, Sendable, Equatable {
        /// The StreamSpace template name ("firefox"), when known.
        public var name: String?
        /// The image reference ("lscr.io/linuxserver/firefox:latest").
        public var image: String
        public var env: [String: String]
        public var ports: [Port]
        public var volumeMounts: [VolumeMount]

        public init(name: String? = nil, image: String, env: [String: String] = [:],
                    ports: [Port] = [], volumeMounts: [VolumeMount] = []) {
            self.name = name
            self.image = image
            self.env = env
            self.ports = ports
            self.volumeMounts = volumeMounts
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            image = try c.decode(String.self, forKey: .image)
            env = try c.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
            ports = try c.decodeIfPresent([Port].self, forKey: .ports) ?? []
            volumeMounts = try c.decodeIfPresent([VolumeMount].self, forKey: .volumeMounts) ?? []
        }
    }

    public struct Port: Codable, Sendable, Equatable {
        public var name: String
        public var port: Int
        public var `protocol`: String?

        public init(name: String, port: Int, protocol: String? = nil) {
            self.name = name
            self.port = port
            self.protocol = `protocol`
        }
    }

    public struct VolumeMount: Codable, Sendable, Equatable {
        public var name: String
        public var mountPath: String

        public init(name: String, mountPath: String) {
            self.name = name
            self.mountPath = mountPath
        }
    }

    /// Kubernetes-style quantities as written in templates, and their parsed values.
    public struct Resources: Codable, Sendable, Equatable {
        public var cpu: String
        public var memory: String
        public var cpuMillicores: Int64
        public var memoryBytes: Int64

        /// StreamSpace's defaults when neither the command nor the template says: 1000m, 2Gi.
        public init() {
            self.cpu = "1000m"
            self.memory = "2Gi"
            self.cpuMillicores = 1000
            self.memoryBytes = 2 << 30
        }

        /// Parses both quantities; throws a DriverError(.invalidArgument) naming the bad one.
        public init(cpu: String, memory: String) throws(DriverError) {
            guard let millicores = ResourceQuantity.cpuMillicores(cpu) else {
                throw DriverError(.invalidArgument, "invalid cpu quantity \"\(cpu)\" (examples: 500m, 1, 2.5)")
            }
            guard let bytes = ResourceQuantity.bytes(memory) else {
                throw DriverError(.invalidArgument, "invalid memory quantity \"\(memory)\" (examples: 512Mi, 2Gi, 1G)")
            }
            self.cpu = cpu
            self.memory = memory
            self.cpuMillicores = millicores
            self.memoryBytes = bytes
        }
    }
}
