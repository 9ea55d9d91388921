import DriverModel
import PlatformKit

/// Where vCenter's SOAP API is and how to reach it: `https://HOST[:PORT]/sdk`, the CA to trust
/// and the account. The password is never in a description.
struct VimEndpoint: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var path: String
    var tls: TLSMaterial
    var user: String
    var password: String

    /// Reads `https://host[:port][/path]` (path /sdk when none is given).
    init(url: String, tls: TLSMaterial, user: String, password: String) throws(DriverError) {
        guard url.hasPrefix("https://") else {
            throw DriverError(.invalidArgument, "vcenter: url must start with https:// (vCenter's SOAP API is served over TLS), got \(url.debugDescription)")
        }
        let rest = url.dropFirst("https://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = String(rest.dropFirst(authority.count))
        var host = String(authority)
        var port = 443
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw DriverError(.invalidArgument, "vcenter: url \(url.debugDescription) has no valid port")
            }
            port = number
            host = String(authority[..<colon])
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw DriverError(.invalidArgument, "vcenter: url \(url.debugDescription) names no host") }
        guard !user.isEmpty else { throw DriverError(.invalidArgument, "vcenter: the user name is empty") }
        guard !password.isEmpty else { throw DriverError(.invalidArgument, "vcenter: the password for \(user) is empty") }
        self.host = host
        self.port = port
        self.path = path.isEmpty || path == "/" ? "/sdk" : path
        self.tls = tls
        self.user = user
        self.password = password
    }

    var description: String { "https://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path) as \(user)" }

    /// A text with the password replaced by `***`: every error text that leaves the session
    /// goes through this, whatever the platform or the transport quoted.
    func redacted(_ text: String) -> String {
        text.replacingAll(password, with: "***")
    }

    func redacted(_ error: DriverError) -> DriverError {
        var copy = error
        copy.message = redacted(error.message)
        return copy
    }
}

extension String {
    /// Every occurrence of `needle` replaced (FoundationEssentials-free).
    func replacingAll(_ needle: String, with replacement: String) -> String {
        guard !needle.isEmpty, contains(needle) else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: needle) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
