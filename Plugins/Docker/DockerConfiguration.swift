#if canImport(Glibc)
import Glibc
#endif
import DriverModel
import PlatformKit

/// The operator's choices for the Docker driver (`--driver-config`), with Docker's own
/// environment variables as defaults. README.md in this folder lists every key.
struct DockerConfiguration: Sendable {
    var address: PlatformAddress
    /// Where published ports listen on the Docker host. Loopback unless the operator opens it.
    var publishAddress: String
    /// The host name or address in the URLs reported to the Control Plane.
    var publicHost: String
    /// Where the agent connects to published ports (PublishingConfig.dialHost).
    var dialHost: String
    var publicScheme: String
    /// The agent-owned bridge network every session joins.
    var network: String
    /// Where a persistent home is mounted when the template names no volume.
    var homeMountPath: String
    var pullMissingImages: Bool
    var pullTimeout: Duration
    var stopTimeoutSeconds: Int
    var apiTimeout: Duration

    static let keys: Set<String> = [
        "host", "tlsCertPath", "tlsVerify", "publishAddress", "publicHost", "publicScheme", "network",
        "homeMountPath", "pullMissingImages", "pullTimeoutSeconds", "stopTimeoutSeconds", "apiTimeoutSeconds",
    ]

    init(_ json: JSONValue, environment: [String: String]) throws(DriverError) {
        let config = try DriverConfig(json, driver: "docker", keys: Self.keys)
        let host = try config.string("host") ?? environment["DOCKER_HOST"] ?? "unix:///var/run/docker.sock"
        let certPath = try config.string("tlsCertPath") ?? environment["DOCKER_CERT_PATH"]
        let verifyFromEnvironment = environment["DOCKER_TLS_VERIFY"].map { !$0.isEmpty && $0 != "0" }
        let tlsVerify = try config.bool("tlsVerify", default: verifyFromEnvironment ?? true)
        address = try Self.address(host, certPath: certPath, tlsVerify: tlsVerify, config: config)

        let publishing = try PublishingConfig(config, addressKey: "publishAddress")
        publishAddress = publishing.address
        publicHost = publishing.publicHost
        dialHost = publishing.dialHost
        publicScheme = publishing.publicScheme
        network = try config.string("network", default: "streamspace")
        guard DockerNames.isValidName(network) else {
            throw config.invalid("network", "must be a Docker name: letters, digits, '_', '.', '-', starting with a letter or digit")
        }
        // Docker's own networks would share the host's network stack or cut the session off:
        // sessions run on a bridge of the agent's.
        guard !["host", "none", "bridge"].contains(network) else {
            throw config.invalid("network", "must be a network of the agent's own, not Docker's \"\(network)\" (no host network for sessions)")
        }
        homeMountPath = try config.string("homeMountPath", default: "/config")
        guard homeMountPath.hasPrefix("/"), !homeMountPath.split(separator: "/").contains("..") else {
            throw config.invalid("homeMountPath", "must be an absolute path without '..'")
        }
        pullMissingImages = try config.bool("pullMissingImages", default: true)
        pullTimeout = .seconds(try config.int("pullTimeoutSeconds", default: 300, range: 1...3600))
        stopTimeoutSeconds = try config.int("stopTimeoutSeconds", default: 10, range: 0...600)
        apiTimeout = .seconds(try config.int("apiTimeoutSeconds", default: 60, range: 1...3600))
    }

    /// DOCKER_HOST forms: unix:///path, tcp://host:port (TLS when certificates are given, as the
    /// docker CLI does with DOCKER_CERT_PATH).
    private static func address(_ host: String, certPath: String?, tlsVerify: Bool,
                                config: DriverConfig) throws(DriverError) -> PlatformAddress {
        if host.hasPrefix("unix://") {
            let path = String(host.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { throw config.invalid("host", "unix socket path must be absolute: \"\(host)\"") }
            return .unixSocket(path: path)
        }
        if host.hasPrefix("tcp://") || host.hasPrefix("https://") || host.hasPrefix("http://") {
            let rest = host.split(separator: "://", maxSplits: 1)[1].split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            let hostPart: String, portPart: String?
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                hostPart = String(rest[rest.index(after: rest.startIndex)..<close])
                let after = rest[rest.index(after: close)...]
                portPart = after.hasPrefix(":") ? String(after.dropFirst()) : nil
            } else {
                let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
                hostPart = String(pieces[0])
                portPart = pieces.count > 1 ? String(pieces[1]) : nil
            }
            let useTLS = certPath != nil || host.hasPrefix("https://")
            guard !hostPart.isEmpty, let port = Int(portPart ?? (useTLS ? "2376" : "2375")), (1...65535).contains(port) else {
                throw config.invalid("host", "must look like tcp://HOST:PORT, not \"\(host)\"")
            }
            var tls: PlatformAddress.TLSFiles?
            if useTLS {
                let directory = certPath ?? ""
                func file(_ name: String) -> String? {
                    guard !directory.isEmpty else { return nil }
                    let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                    return access(path, R_OK) == 0 ? path : nil
                }
                tls = .init(caFile: file("ca.pem"), certificateFile: file("cert.pem"), keyFile: file("key.pem"),
                            skipVerify: !tlsVerify)
            }
            return .http(host: hostPart, port: port, tls: tls)
        }
        throw config.invalid("host", "must start with unix:// or tcp://, not \"\(host)\"")
    }
}
