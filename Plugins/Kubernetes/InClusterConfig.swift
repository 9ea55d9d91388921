import DriverModel

/// The connection of an agent running in a pod: the service account Kubernetes mounts
/// (`token`, `ca.crt`, `namespace`) and the API server's address from
/// KUBERNETES_SERVICE_HOST/PORT, as client-go's rest.InClusterConfig reads them.
enum InClusterConfig {
    static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Nil when the agent is not in a pod (no service host in the environment).
    static func connection(directory: String, environment: [String: String]) throws(DriverError) -> KubeConnection? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else { return nil }
        let portText = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw DriverError(.invalidArgument, "kubernetes: KUBERNETES_SERVICE_PORT \"\(portText)\" is not a port")
        }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            throw DriverError(.invalidArgument, "kubernetes: KUBERNETES_SERVICE_HOST \"\(host)\" is not a host name or address")
        }
        let token = directory + "/token"
        let ca = directory + "/ca.crt"
        // Read now so a missing mount is reported at load, naming the file; the token is read
        // again whenever the file changes.
        for file in [token, ca] {
            do { _ = try LocalFile.read(file) } catch {
                throw DriverError(.invalidArgument,
                                  "kubernetes: in-cluster: \(error) (is automountServiceAccountToken off for the agent's pod?)")
            }
        }
        var namespace: String?
        if let text = try? LocalFile.text(directory + "/namespace") {
            let trimmed = text.filter { !$0.isWhitespace }
            namespace = trimmed.isEmpty ? nil : trimmed
        }
        return KubeConnection(host: host, port: port, useTLS: true, pathPrefix: "",
                              certificateAuthority: .file(ca), clientCertificate: nil, clientKey: nil,
                              skipVerify: false, credential: .tokenFile(token), namespace: namespace,
                              origin: "in-cluster service account \(directory)")
    }
}
