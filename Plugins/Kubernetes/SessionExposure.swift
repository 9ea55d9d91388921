import DriverModel
import PlatformKit

/// How a session is reached from outside the cluster (the config's `expose`): not at all (the
/// pod IP or the Service's cluster DNS name only), through the session's Service as a NodePort
/// or a LoadBalancer, or through an Ingress. The Service keeps its name (exactly the session id)
/// in every mode: the stock Control Plane's viewer proxy reaches `<id>.<namespace>.svc`.
package struct SessionExposure: Sendable, Equatable {
    package enum Mode: String, Sendable, CaseIterable {
        case none, nodePort, loadBalancer, ingress
    }

    /// An Ingress per session: one host, one rule to the session's web port.
    package struct Ingress: Sendable, Equatable {
        package var className: String?
        /// A host with `{session}` in it, e.g. "{session}.sessions.example.com".
        package var hostTemplate: String
        /// The Secret with the host's certificate; set, the URL is https.
        package var tlsSecret: String?
        package var annotations: [String: String]

        package init(className: String? = nil, hostTemplate: String, tlsSecret: String? = nil, annotations: [String: String] = [:]) {
            self.className = className
            self.hostTemplate = hostTemplate
            self.tlsSecret = tlsSecret
            self.annotations = annotations
        }
    }

    package var mode: Mode
    /// NodePort: the host users reach the nodes at; nil: the session pod's node (`status.hostIP`).
    package var nodeAddress: String?
    package var ingress: Ingress?
    /// LoadBalancer: how long a start waits for the Service's address.
    package var loadBalancerTimeout: Duration
    /// LoadBalancer: `spec.loadBalancerClass`, the controller that should serve it; nil: the default one.
    package var loadBalancerClass: String?

    package init(mode: Mode = .none, nodeAddress: String? = nil, ingress: Ingress? = nil,
                 loadBalancerTimeout: Duration = .seconds(120), loadBalancerClass: String? = nil) {
        self.mode = mode
        self.nodeAddress = nodeAddress
        self.ingress = ingress
        self.loadBalancerTimeout = loadBalancerTimeout
        self.loadBalancerClass = loadBalancerClass
    }

    static let placeholder = "{session}"
    static let keys: Set<String> = [
        "expose", "nodeAddress", "loadBalancerTimeoutSeconds", "loadBalancerClass",
        "ingressHost", "ingressClassName", "ingressTLSSecret", "ingressAnnotations",
    ]
    /// The keys each mode reads; one given for another mode is a mistake, not something to ignore.
    private static let keysOfMode: [Mode: Set<String>] = [
        .nodePort: ["nodeAddress"],
        .loadBalancer: ["loadBalancerTimeoutSeconds", "loadBalancerClass"],
        .ingress: ["ingressHost", "ingressClassName", "ingressTLSSecret", "ingressAnnotations"],
    ]

    init(_ config: DriverConfig) throws(DriverError) {
        let name = try config.string("expose", default: Mode.none.rawValue)
        guard let mode = Mode(rawValue: name) else {
            throw config.invalid("expose", "must be none, nodePort, loadBalancer or ingress, not \(name.debugDescription)")
        }
        self.mode = mode
        let own = Self.keysOfMode[mode] ?? []
        for key in Self.keys.subtracting(own).subtracting(["expose"]).sorted() where config.contains(key) && config.raw(key) != .null {
            let owner = Self.keysOfMode.first { $0.value.contains(key) }!.key
            throw config.invalid(key, "is for \"expose\": \"\(owner.rawValue)\"; this config has \"expose\": \"\(mode.rawValue)\"")
        }
        nodeAddress = try config.string("nodeAddress")
        if let nodeAddress, !Self.isHost(nodeAddress) {
            throw config.invalid("nodeAddress", "must be an IP address or a DNS name (where users reach the nodes), not \(nodeAddress.debugDescription)")
        }
        loadBalancerTimeout = .seconds(try config.int("loadBalancerTimeoutSeconds", default: 120, range: 1...3600))
        loadBalancerClass = try config.string("loadBalancerClass")
        if let loadBalancerClass, !KubernetesNames.isQualifiedName(loadBalancerClass) {
            throw config.invalid("loadBalancerClass", "must be a label-style name such as \"example.com/internal-vip\", not \(loadBalancerClass.debugDescription)")
        }
        guard mode == .ingress else { ingress = nil; return }
        guard let host = try config.string("ingressHost") else {
            throw config.invalid("ingressHost", "is required with \"expose\": \"ingress\" (e.g. \"{session}.sessions.example.com\", or a base domain such as \"sessions.example.com\")")
        }
        let template = host.contains(Self.placeholder) ? host : "\(Self.placeholder).\(host)"
        guard template.components(separatedBy: Self.placeholder).count == 2, template.contains("."),
              KubernetesNames.isDNSSubdomain(template.replacingOccurrences(of: Self.placeholder, with: "a")) else {
            throw config.invalid("ingressHost", "must be a lowercase DNS name with {session} once in it (e.g. \"{session}.sessions.example.com\") or a base domain (\"sessions.example.com\"), not \(host.debugDescription)")
        }
        let className = try config.string("ingressClassName")
        if let className, !KubernetesNames.isDNSSubdomain(className) {
            throw config.invalid("ingressClassName", "must be an IngressClass name (a lowercase DNS name), not \(className.debugDescription)")
        }
        let tlsSecret = try config.string("ingressTLSSecret")
        if let tlsSecret, !KubernetesNames.isDNSSubdomain(tlsSecret) {
            throw config.invalid("ingressTLSSecret", "must be a Secret name (a lowercase DNS name), not \(tlsSecret.debugDescription)")
        }
        let annotations = try config.stringMap("ingressAnnotations")
        for key in annotations.keys.sorted() where !KubernetesNames.isQualifiedName(key) {
            throw config.invalid("ingressAnnotations", "key \(key.debugDescription) is not an annotation key ([prefix/]name: a DNS prefix, a name of at most 63 letters, digits, '-', '_', '.')")
        }
        ingress = Ingress(className: className, hostTemplate: template, tlsSecret: tlsSecret, annotations: annotations)
    }

    /// The session's Service type.
    package var serviceType: String {
        switch mode {
        case .nodePort: "NodePort"
        case .loadBalancer: "LoadBalancer"
        case .none, .ingress: "ClusterIP"
        }
    }

    /// Whether the public address is in the Service (NodePort's port, LoadBalancer's address),
    /// which the driver must then read (deploy/kubernetes/role-service-reader.yaml).
    package var readsService: Bool { mode == .nodePort || mode == .loadBalancer }

    /// The template port an Ingress routes to — the one the Control Plane shows: "vnc", else
    /// "http", else the first TCP port. Nil: none is TCP (an Ingress speaks HTTP).
    package static func webPort(_ ports: [SessionSpec.Port]) -> SessionSpec.Port? {
        let tcp = ports.filter { ($0.protocol ?? "tcp").lowercased() == "tcp" }
        return tcp.first { $0.name == "vnc" } ?? tcp.first { $0.name == "http" } ?? tcp.first
    }

    /// The Ingress host of a session; an error names `ingressHost` when this id makes it too long.
    package func ingressHost(_ id: String) throws(DriverError) -> String? {
        guard let ingress else { return nil }
        let host = ingress.hostTemplate.replacingOccurrences(of: Self.placeholder, with: id)
        guard KubernetesNames.isDNSSubdomain(host) else {
            throw DriverError(.invalidArgument, "kubernetes: session \(id) makes the Ingress host \(host.debugDescription), which is not a DNS name (a label over 63 or a name over 253 characters): shorten the driver config's \"ingressHost\"")
        }
        return host
    }

    /// Where each port is reached from outside, by port name; empty in mode none, and for what
    /// is not known yet (a LoadBalancer without an address, a Service not read).
    package func publicURLs(sessionID: String, ports: [SessionSpec.Port], service: JSONValue?, nodeIP: String?) -> [String: String] {
        var urls: [String: String] = [:]
        switch mode {
        case .none:
            break
        case .ingress:
            guard let port = Self.webPort(ports), let host = try? ingressHost(sessionID) else { break }
            urls[port.name] = "\(ingress?.tlsSecret == nil ? "http" : "https")://\(host)/"
        case .nodePort, .loadBalancer:
            guard let spec = service?["spec"] else { break }
            let loadBalancer = service?["status"]?["loadBalancer"]?["ingress"]?.arrayValue?.first
            let host = mode == .nodePort ? nodeAddress ?? nodeIP
                : loadBalancer?["ip"]?.stringValue ?? loadBalancer?["hostname"]?.stringValue
            guard let host, !host.isEmpty else { break }
            for servicePort in spec["ports"]?.arrayValue ?? [] where servicePort["protocol"]?.stringValue ?? "TCP" == "TCP" {
                guard let name = servicePort["name"]?.stringValue, ports.contains(where: { $0.name == name }),
                      let number = (mode == .nodePort ? servicePort["nodePort"] : servicePort["port"])?.intValue else { continue }
                urls[name] = "http://\(host.contains(":") ? "[\(host)]" : host):\(number)"
            }
        }
        return urls
    }

    /// An IP address, or a DNS name (letters of either case: users type them).
    static func isHost(_ text: String) -> Bool {
        PublishingConfig.isIPAddress(text) || KubernetesNames.isDNSSubdomain(text.lowercased())
    }
}
