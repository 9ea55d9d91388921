#if canImport(Glibc)
import Glibc
#endif
import DriverModel
import PlatformKit

/// The operator's choices for the LXD driver (`--driver-config`). README.md in this folder
/// lists every key.
struct LXDConfiguration: Sendable {
    var address: PlatformAddress
    var project: String
    /// Template image → where LXD gets it.
    var images: [String: LXDImageSource]
    var profiles: [String]
    var storagePool: String
    var listenAddress: String
    var publicHost: String
    /// Where the agent connects to published ports (PublishingConfig.dialHost).
    var dialHost: String
    var publicScheme: String
    var ports: ClosedRange<Int>
    var homeMountPath: String
    var hibernate: HibernateMode
    var operationTimeout: Duration
    var stopTimeoutSeconds: Int

    enum HibernateMode: String, Sendable {
        /// Find out at load whether LXD can stop an instance statefully here.
        case auto
        /// Stateful stop (CRIU): memory kept. The load fails if LXD cannot.
        case stateful
        /// Plain stop: disk kept.
        case stop
    }

    static let keys: Set<String> = [
        "socket", "url", "clientCertificate", "clientKey", "serverCertificate", "tlsVerify", "project", "images",
        "profiles", "storagePool", "listenAddress", "publicHost", "publicScheme", "portRange", "homeMountPath",
        "hibernate", "operationTimeoutSeconds", "stopTimeoutSeconds",
    ]

    /// The sockets of Debian's lxd package and of the snap, after $LXD_DIR.
    static let defaultSockets = ["/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket"]

    init(_ json: JSONValue, environment: [String: String]) throws(DriverError) {
        let config = try DriverConfig(json, driver: "lxd", keys: Self.keys)
        if let url = try config.string("url") {
            guard !config.contains("socket") else { throw config.invalid("url", "and \"socket\" cannot both be set") }
            address = try Self.remote(url, config: config)
        } else {
            // LXD_DIR, like the lxc client, names the one LXD to use.
            let candidates = environment["LXD_DIR"].map { ["\($0)/unix.socket"] } ?? Self.defaultSockets
            let socket = try config.string("socket") ?? candidates.first { access($0, F_OK) == 0 } ?? candidates[0]
            guard socket.hasPrefix("/") else { throw config.invalid("socket", "must be an absolute path") }
            address = .unixSocket(path: socket)
        }
        project = try config.string("project", default: "default")
        guard LXDNames.isValidName(project) else { throw config.invalid("project", "is not a valid LXD project name") }

        var images: [String: LXDImageSource] = [:]
        if let map = config.raw("images"), map != .null {
            guard let object = map.objectValue else { throw config.invalid("images", "must be an object: template image → LXD image") }
            for (template, value) in object {
                images[template] = try LXDImageSource(value, template: template, config: config)
            }
        }
        self.images = images

        if let profiles = config.raw("profiles"), profiles != .null {
            guard let list = profiles.arrayValue?.compactMap(\.stringValue), list.count == profiles.arrayValue?.count,
                  list.allSatisfy(LXDNames.isValidName) else {
                throw config.invalid("profiles", "must be a list of profile names")
            }
            self.profiles = list
        } else {
            self.profiles = ["default"]
        }
        storagePool = try config.string("storagePool", default: "default")
        guard LXDNames.isValidName(storagePool) else { throw config.invalid("storagePool", "is not a valid pool name") }

        let publishing = try PublishingConfig(config, addressKey: "listenAddress")
        listenAddress = publishing.address
        publicHost = publishing.publicHost
        dialHost = publishing.dialHost
        publicScheme = publishing.publicScheme

        let range = try config.string("portRange", default: "20000-29999").split(separator: "-").compactMap { Int($0) }
        guard range.count == 2, range[0] >= 1024, range[1] <= 65535, range[0] <= range[1] else {
            throw config.invalid("portRange", "must look like 20000-29999 (within 1024–65535)")
        }
        ports = range[0]...range[1]
        homeMountPath = try config.string("homeMountPath", default: "/config")
        guard homeMountPath.hasPrefix("/"), !homeMountPath.split(separator: "/").contains("..") else {
            throw config.invalid("homeMountPath", "must be an absolute path without '..'")
        }
        guard let mode = HibernateMode(rawValue: try config.string("hibernate", default: "auto")) else {
            throw config.invalid("hibernate", "must be auto, stateful or stop")
        }
        hibernate = mode
        operationTimeout = .seconds(try config.int("operationTimeoutSeconds", default: 120, range: 1...3600))
        stopTimeoutSeconds = try config.int("stopTimeoutSeconds", default: 10, range: 0...600)
    }

    /// https://host:8443 with a client certificate LXD trusts.
    private static func remote(_ url: String, config: DriverConfig) throws(DriverError) -> PlatformAddress {
        guard url.hasPrefix("https://") else { throw config.invalid("url", "must start with https:// (LXD's remote API is TLS only)") }
        let rest = url.dropFirst("https://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let host: String, port: Int?
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) : 8443
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            host = String(parts[0])
            port = parts.count > 1 ? Int(parts[1]) : 8443
        }
        guard !host.isEmpty, let port, (1...65535).contains(port) else { throw config.invalid("url", "must look like https://HOST:8443") }
        guard let certificate = try config.string("clientCertificate"), let key = try config.string("clientKey") else {
            throw config.invalid("url", "needs \"clientCertificate\" and \"clientKey\" (a certificate the LXD server trusts)")
        }
        return .http(host: host, port: port, tls: .init(caFile: try config.string("serverCertificate"), certificateFile: certificate,
                                                        keyFile: key, skipVerify: !(try config.bool("tlsVerify", default: true))))
    }
}

/// Where an instance's image comes from: a local alias or fingerprint, or an image server.
struct LXDImageSource: Sendable, Equatable {
    var alias: String?
    var fingerprint: String?
    /// An image server (simplestreams or lxd), e.g. https://images.linuxcontainers.org.
    var server: String?
    var `protocol`: String?

    init(alias: String) {
        self.alias = alias
    }

    /// "alias", "<64 hex>" (a fingerprint), or {"server", "protocol", "alias"|"fingerprint"}.
    init(_ value: JSONValue, template: String, config: DriverConfig) throws(DriverError) {
        if let text = value.stringValue {
            if text.count == 64, text.allSatisfy(\.isHexDigit) { fingerprint = text } else { alias = text }
        } else if let object = value.objectValue {
            alias = object["alias"]?.stringValue
            fingerprint = object["fingerprint"]?.stringValue
            server = object["server"]?.stringValue
            `protocol` = object["protocol"]?.stringValue
            if let server, !server.hasPrefix("https://") {
                throw config.invalid("images", "\"\(template)\": server must be an https:// URL")
            }
            if let proto = `protocol`, !["simplestreams", "lxd"].contains(proto) {
                throw config.invalid("images", "\"\(template)\": protocol must be simplestreams or lxd")
            }
            let knownKeys: Set<String> = ["alias", "fingerprint", "server", "protocol"]
            if let unknown = object.keys.first(where: { !knownKeys.contains($0) }) {
                throw config.invalid("images", "\"\(template)\": unknown key \"\(unknown)\"")
            }
        }
        guard (alias == nil) != (fingerprint == nil) else {
            throw config.invalid("images", "\"\(template)\" must name exactly one alias or fingerprint")
        }
    }

    /// The `source` of POST /1.0/instances.
    var instanceSource: JSONValue {
        var source: [String: JSONValue] = ["type": .string("image")]
        if let alias { source["alias"] = .string(alias) }
        if let fingerprint { source["fingerprint"] = .string(fingerprint) }
        if let server {
            source["server"] = .string(server)
            source["mode"] = .string("pull")
            source["protocol"] = .string(`protocol` ?? "simplestreams")
        }
        return .object(source)
    }

    var description: String {
        let name = alias ?? fingerprint ?? "?"
        return server.map { "\($0) \(name)" } ?? name
    }
}
