import DriverModel
import PlatformKit

/// The operator's choices for the Kubernetes driver (`--driver-config`). README.md in this
/// folder lists every key. Reading the kubeconfig itself waits for `prepare()`: this is only
/// the config's own checking, which must stay offline.
struct KubernetesConfiguration: Sendable {
    /// How the reported endpoint URLs reach a session.
    enum EndpointMode: String, Sendable {
        /// http://<podIP>:<port> — an agent and a Control Plane inside the cluster network.
        case podIP
        /// http://<session>.<namespace>.svc.cluster.local:<port> — what the stock Control Plane's
        /// viewer proxy uses.
        case serviceDNS
    }

    var kubeconfig: String?
    var context: String?
    /// Nil: the context's or the pod's namespace, else "streamspace".
    var namespace: String?
    /// More namespaces a command's `namespace` may name (the agent's Role must be bound there).
    /// Empty: only `namespace`.
    var namespaces: [String]
    var serviceAccountDir: String
    var endpointMode: EndpointMode
    var clusterDomain: String
    var storageClass: String?
    var homeSize: String
    var homeAccessMode: String
    var homeMountPath: String
    var deletePVC: Bool
    var imagePullPolicy: String?
    var readyTimeout: Duration
    var apiTimeout: Duration
    /// How sessions are reached from outside the cluster (`expose` and its keys).
    var exposure: SessionExposure

    static let keys = Set([
        "kubeconfig", "context", "namespace", "namespaces", "serviceAccountDir", "endpointMode", "clusterDomain",
        "storageClass", "homeSize", "homeAccessMode", "homeMountPath", "deletePVC", "imagePullPolicy",
        "readyTimeoutSeconds", "apiTimeoutSeconds",
    ]).union(SessionExposure.keys)
    static let defaultNamespace = "streamspace"

    init(_ json: JSONValue) throws(DriverError) {
        let config = try DriverConfig(json, driver: "kubernetes", keys: Self.keys)
        kubeconfig = try config.string("kubeconfig")
        if let kubeconfig, kubeconfig.isEmpty { throw config.invalid("kubeconfig", "must be a path") }
        context = try config.string("context")
        namespace = try config.string("namespace")
        if let namespace, !KubernetesNames.isDNSLabel(namespace) {
            throw config.invalid("namespace", "must be a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)")
        }
        namespaces = []
        for (index, extra) in try config.strings("namespaces").enumerated() {
            guard KubernetesNames.isDNSLabel(extra) else {
                throw config.invalid("namespaces", "[\(index)] \(extra.debugDescription) is not a Kubernetes namespace name (lowercase letters, digits and '-', at most 63)")
            }
            if !namespaces.contains(extra) { namespaces.append(extra) }
        }
        serviceAccountDir = try config.string("serviceAccountDir", default: InClusterConfig.defaultDirectory)
        guard serviceAccountDir.hasPrefix("/") else { throw config.invalid("serviceAccountDir", "must be an absolute path") }
        let mode = try config.string("endpointMode", default: EndpointMode.podIP.rawValue)
        guard let endpointMode = EndpointMode(rawValue: mode) else {
            throw config.invalid("endpointMode", "must be podIP or serviceDNS, not \"\(mode)\"")
        }
        self.endpointMode = endpointMode
        clusterDomain = try config.string("clusterDomain", default: "cluster.local")
        guard clusterDomain.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ KubernetesNames.isDNSLabel(String($0)) || $0.first?.isNumber == true }) else {
            throw config.invalid("clusterDomain", "must be a DNS name such as cluster.local")
        }
        storageClass = try config.string("storageClass")
        if let storageClass, !KubernetesNames.isDNSLabel(storageClass, maxLength: 253) && !storageClass.contains(".") {
            throw config.invalid("storageClass", "must be a StorageClass name")
        }
        homeSize = try config.string("homeSize", default: "10Gi")
        guard ResourceQuantity.bytes(homeSize) != nil else { throw config.invalid("homeSize", "must be a quantity such as 10Gi") }
        homeAccessMode = try config.string("homeAccessMode", default: "ReadWriteOnce")
        guard ["ReadWriteOnce", "ReadWriteMany", "ReadWriteOncePod"].contains(homeAccessMode) else {
            throw config.invalid("homeAccessMode", "must be ReadWriteOnce, ReadWriteMany or ReadWriteOncePod")
        }
        homeMountPath = try config.string("homeMountPath", default: "/config")
        guard homeMountPath.hasPrefix("/"), !homeMountPath.split(separator: "/").contains("..") else {
            throw config.invalid("homeMountPath", "must be an absolute path without '..'")
        }
        deletePVC = try config.bool("deletePVC", default: false)
        imagePullPolicy = try config.string("imagePullPolicy")
        if let policy = imagePullPolicy, !["Always", "IfNotPresent", "Never"].contains(policy) {
            throw config.invalid("imagePullPolicy", "must be Always, IfNotPresent or Never")
        }
        readyTimeout = .seconds(try config.int("readyTimeoutSeconds", default: 300, range: 1...3600))
        apiTimeout = .seconds(try config.int("apiTimeoutSeconds", default: 30, range: 1...600))
        exposure = try SessionExposure(config)
    }

    /// Every namespace the driver may place sessions in: the resolved main one first.
    func allowedNamespaces(main: String) -> [String] {
        [main] + namespaces.filter { $0 != main }
    }

    /// The namespace a command's `namespace` places a session in: nil is `main`; one outside
    /// the allowed set is refused, naming it and the key that would allow it.
    func placement(_ requested: String?, main: String) throws(DriverError) -> String {
        guard let requested else { return main }
        guard allowedNamespaces(main: main).contains(requested) else {
            throw DriverError(.invalidArgument, "kubernetes: namespace \(requested.debugDescription) is not one the agent may use (\(allowedNamespaces(main: main).joined(separator: ", "))): add it to the driver config \"namespaces\" and bind the agent's Role there")
        }
        return requested
    }
}
