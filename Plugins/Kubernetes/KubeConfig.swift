import DriverModel
import Foundation
import Yams

/// A kubeconfig file (or the files of a `KUBECONFIG` list, merged as kubectl merges them: the
/// first file to name a cluster, user or context wins, and the first `current-context` counts),
/// read with a YAML parser and checked strictly: a field of the wrong type, a context that names
/// a missing cluster or user, or an auth method the driver cannot use is an error naming the
/// file and the key.
package struct KubeConfig: Sendable {
    package struct Cluster: Sendable, Equatable {
        var server: String
        var certificateAuthority: KubeConnection.PEM?
        var insecureSkipTLSVerify: Bool
    }

    package struct User: Sendable, Equatable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: KubeConnection.PEM?
        var clientKey: KubeConnection.PEM?
    }

    package struct Context: Sendable, Equatable {
        var cluster: String
        var user: String
        var namespace: String?
    }

    package private(set) var clusters: [String: Cluster] = [:]
    package private(set) var users: [String: User] = [:]
    package private(set) var contexts: [String: Context] = [:]
    package private(set) var currentContext: String?
    /// The files read, for messages.
    package private(set) var files: [String] = []

    package init() {}

    /// Reads each file of a `KUBECONFIG`-style list (':'-separated); missing files in a list are
    /// skipped as kubectl skips them, but at least one must exist.
    package static func load(paths: String) throws(DriverError) -> KubeConfig {
        let list = paths.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        var config = KubeConfig()
        for path in list where list.count == 1 || LocalFile.exists(path) {
            let text: String
            do { text = try LocalFile.text(path) } catch {
                throw DriverError(.invalidArgument, "kubernetes: kubeconfig: \(error)")
            }
            try config.merge(yaml: text, file: path)
        }
        guard !config.files.isEmpty else {
            throw DriverError(.invalidArgument, "kubernetes: kubeconfig: none of \(list.joined(separator: ", ")) exists")
        }
        return config
    }

    /// Adds one file's content; `file` names it in errors and anchors its relative paths.
    package mutating func merge(yaml text: String, file: String) throws(DriverError) {
        let reader = Reader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw reader.error("is not valid YAML (\(Self.describe(error)))")
        }
        files.append(file)
        guard let root else { return }  // An empty file configures nothing, as for kubectl.
        guard root.mapping != nil else { throw reader.error("must be a YAML mapping, not \(Reader.kind(root))") }
        if let kind = try reader.string(root, "kind"), kind != "Config" {
            throw reader.error("has kind \"\(kind)\", not Config")
        }
        if currentContext == nil, let current = try reader.string(root, "current-context"), !current.isEmpty {
            currentContext = current
        }
        for (index, item) in try reader.list(root, "clusters").enumerated() {
            let key = "clusters[\(index)]"
            let name = try reader.requiredString(item, "name", at: key)
            guard clusters[name] == nil else { continue }
            let body = try reader.requiredMapping(item, "cluster", at: key)
            let at = "\(key).cluster"
            let server = try reader.requiredString(body, "server", at: at)
            let ca = try reader.pem(body, file: "certificate-authority", data: "certificate-authority-data", at: at)
            let skip = try reader.bool(body, "insecure-skip-tls-verify", at: at) ?? false
            for unsupported in ["proxy-url"] where body[unsupported] != nil {
                throw reader.error("\(at).\(unsupported) is not supported by the StreamSpace driver")
            }
            clusters[name] = Cluster(server: server, certificateAuthority: ca, insecureSkipTLSVerify: skip)
        }
        for (index, item) in try reader.list(root, "users").enumerated() {
            let key = "users[\(index)]"
            let name = try reader.requiredString(item, "name", at: key)
            guard users[name] == nil else { continue }
            let body = try reader.requiredMapping(item, "user", at: key)
            let at = "\(key).user"
            for unsupported in ["exec", "auth-provider", "username", "password"] where body[unsupported] != nil {
                throw reader.error("\(at).\(unsupported) is not supported by the StreamSpace driver: give the user a token, a tokenFile or a client certificate")
            }
            var user = User()
            user.token = try reader.string(body, "token", at: at)
            user.tokenFile = try reader.string(body, "tokenFile", at: at).map { LocalFile.resolve($0, against: file) }
            user.clientCertificate = try reader.pem(body, file: "client-certificate", data: "client-certificate-data", at: at)
            user.clientKey = try reader.pem(body, file: "client-key", data: "client-key-data", at: at)
            guard (user.clientCertificate == nil) == (user.clientKey == nil) else {
                throw reader.error("\(at) needs both a client certificate and its key (client-certificate[-data] and client-key[-data])")
            }
            users[name] = user
        }
        for (index, item) in try reader.list(root, "contexts").enumerated() {
            let key = "contexts[\(index)]"
            let name = try reader.requiredString(item, "name", at: key)
            guard contexts[name] == nil else { continue }
            let body = try reader.requiredMapping(item, "context", at: key)
            let at = "\(key).context"
            contexts[name] = Context(cluster: try reader.requiredString(body, "cluster", at: at),
                                     user: try reader.string(body, "user", at: at) ?? "",
                                     namespace: try reader.string(body, "namespace", at: at).flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// The connection of the named context, or of `current-context`.
    package func connection(context requested: String?) throws(DriverError) -> KubeConnection {
        let where_ = files.joined(separator: ":")
        guard let name = requested ?? currentContext else {
            throw DriverError(.invalidArgument,
                              "kubernetes: kubeconfig \(where_) has no current-context: set one (kubectl config use-context) or give the driver config \"context\"")
        }
        guard let context = contexts[name] else {
            let known = contexts.keys.sorted().joined(separator: ", ")
            throw DriverError(.invalidArgument,
                              "kubernetes: kubeconfig \(where_) has no context \"\(name)\" (contexts: \(known.isEmpty ? "none" : known))")
        }
        guard let cluster = clusters[context.cluster] else {
            throw DriverError(.invalidArgument, "kubernetes: kubeconfig \(where_): context \"\(name)\" names cluster \"\(context.cluster)\", which is not in clusters")
        }
        var user = User()
        if !context.user.isEmpty {
            guard let found = users[context.user] else {
                throw DriverError(.invalidArgument, "kubernetes: kubeconfig \(where_): context \"\(name)\" names user \"\(context.user)\", which is not in users")
            }
            user = found
        }
        let server = try ServerURL(cluster.server, what: "kubeconfig \(where_): cluster \"\(context.cluster)\" server")
        let credential: KubeConnection.Credential = user.token.map { .token($0) } ?? user.tokenFile.map { .tokenFile($0) } ?? .none
        return KubeConnection(host: server.host, port: server.port, useTLS: server.useTLS, pathPrefix: server.path,
                              certificateAuthority: cluster.certificateAuthority,
                              clientCertificate: user.clientCertificate, clientKey: user.clientKey,
                              skipVerify: cluster.insecureSkipTLSVerify, credential: credential,
                              namespace: context.namespace, origin: "kubeconfig \(where_), context \(name)")
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? YamlError { return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)" }
        return "\(error)"
    }

    /// Typed reads of YAML nodes, each failure naming the file and the key path.
    private struct Reader {
        let file: String

        func error(_ what: String) -> DriverError {
            DriverError(.invalidArgument, "kubernetes: kubeconfig \(file): \(what)")
        }

        static func kind(_ node: Node) -> String {
            switch node {
            case .mapping: "a mapping"
            case .sequence: "a list"
            case .scalar: "a scalar"
            case .alias: "an alias"
            }
        }

        func string(_ node: Node, _ key: String, at path: String? = nil) throws(DriverError) -> String? {
            guard let value = node[key], value.null == nil else { return nil }
            guard let scalar = value.scalar else {
                throw error("\(path.map { "\($0)." } ?? "")\(key) must be a string, not \(Self.kind(value))")
            }
            return scalar.string
        }

        func requiredString(_ node: Node, _ key: String, at path: String) throws(DriverError) -> String {
            guard let text = try string(node, key, at: path), !text.isEmpty else { throw error("\(path).\(key) is missing") }
            return text
        }

        func bool(_ node: Node, _ key: String, at path: String) throws(DriverError) -> Bool? {
            guard let value = node[key], value.null == nil else { return nil }
            guard let flag = value.bool else { throw error("\(path).\(key) must be true or false") }
            return flag
        }

        func requiredMapping(_ node: Node, _ key: String, at path: String) throws(DriverError) -> Node {
            guard let value = node[key] else { throw error("\(path).\(key) is missing") }
            guard value.mapping != nil else { throw error("\(path).\(key) must be a mapping, not \(Self.kind(value))") }
            return value
        }

        func list(_ node: Node, _ key: String) throws(DriverError) -> [Node] {
            guard let value = node[key], value.null == nil else { return [] }
            guard let items = value.sequence else { throw error("\(key) must be a list, not \(Self.kind(value))") }
            for (index, item) in items.enumerated() where item.mapping == nil {
                throw error("\(key)[\(index)] must be a mapping, not \(Self.kind(item))")
            }
            return Array(items)
        }

        /// A file path (relative to the kubeconfig's folder) or inline base64 `*-data`; the data
        /// wins, as in kubectl.
        func pem(_ node: Node, file fileKey: String, data dataKey: String, at path: String) throws(DriverError) -> KubeConnection.PEM? {
            if let encoded = try string(node, dataKey, at: path) {
                let compact = encoded.filter { !$0.isWhitespace }
                guard let data = Data(base64Encoded: compact), !data.isEmpty else {
                    throw error("\(path).\(dataKey) is not base64")
                }
                return .pem(Array(data))
            }
            return try string(node, fileKey, at: path).map { .file(LocalFile.resolve($0, against: file)) }
        }
    }
}
