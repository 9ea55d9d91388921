#if canImport(Glibc)
import Glibc
#endif
import DriverModel

/// Where the agent may connect for session traffic, decided from what the driver reported —
/// never from what the Control Plane asks. A request names a session and a port; the address
/// is the one the driver gave for that port of that session (`dial`, else the `url`'s host
/// and port), only while the session is running, and never a link-local or cloud metadata
/// address, whatever the driver reported. Pure: the tests give it statuses.
struct SessionDialTarget: Equatable, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Why a request is refused, in words for the log and the Control Plane.
    struct Refusal: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// The address for `port` of the session, or why there is none. `port` nil: the viewer
    /// (the endpoint named "vnc", else the first).
    static func resolve(_ status: SessionStatus?, sessionID: String, port: Int?) -> Result<SessionDialTarget, Refusal> {
        guard let status else {
            return .failure(Refusal(description: "session \(sessionID) is not one of this agent's sessions"))
        }
        guard status.state == .running else {
            return .failure(Refusal(description: "session \(sessionID) is \(status.state.rawValue), not running"))
        }
        let endpoint: Endpoint?
        if let port {
            endpoint = status.endpoints.first { $0.port == port }
        } else {
            endpoint = status.endpoints.first { $0.name == "vnc" } ?? status.endpoints.first
        }
        guard let endpoint else {
            let published = status.endpoints.compactMap(\.port).map(String.init).joined(separator: ", ")
            return .failure(Refusal(description: "session \(sessionID) publishes no port \(port.map(String.init) ?? "")"
                + (published.isEmpty ? " (it publishes none)" : " (it publishes \(published))")))
        }
        guard let target = endpoint.dial.flatMap(parse(authority:)) ?? endpoint.url.flatMap(parse(url:)) else {
            return .failure(Refusal(description: "session \(sessionID) port \(endpoint.port.map(String.init) ?? endpoint.name) is not reachable yet (no address from the driver)"))
        }
        if let forbidden = forbidden(target.host) {
            return .failure(Refusal(description: "session \(sessionID) port \(endpoint.port.map(String.init) ?? endpoint.name) is at \(target), \(forbidden): never dialled"))
        }
        return .success(target)
    }

    /// "host:port" or "[v6]:port".
    static func parse(authority: String) -> SessionDialTarget? {
        let host: Substring, portText: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = authority.lastIndex(of: ":") else { return nil }
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
            if host.contains(":") { return nil }  // an IPv6 address must be bracketed
        }
        guard !host.isEmpty, let port = Int(portText), (1...65535).contains(port),
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else { return nil }
        return SessionDialTarget(host: String(host), port: port)
    }

    /// The authority of "scheme://host:port/…"; a URL without a port uses its scheme's.
    static func parse(url: String) -> SessionDialTarget? {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { return nil }
        let scheme = url[..<colon].lowercased()
        var authority = url[url.index(colon, offsetBy: 3)...]
        if let end = authority.firstIndex(where: { "/?#".contains($0) }) { authority = authority[..<end] }
        if authority.contains("@") { return nil }  // credentials in a URL: not an address we dial
        if let target = parse(authority: String(authority)) { return target }
        let defaultPort: Int? = switch scheme {
        case "http", "ws": 80
        case "https", "wss": 443
        default: nil
        }
        guard let defaultPort else { return nil }
        return parse(authority: authority.contains(":") && !authority.hasSuffix("]") ? "[\(authority)]:\(defaultPort)" : "\(authority):\(defaultPort)")
    }

    /// Why an address must never be dialled (link-local, which holds every cloud's metadata
    /// service), or nil.
    static func forbidden(_ host: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let address = UInt32(bigEndian: v4.s_addr)
            if address >> 16 == 0xA9FE { return "a link-local address (cloud metadata lives there)" }  // 169.254/16
            if address == 0 { return "the unspecified address" }
            return nil
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return "a link-local address" }  // fe80::/10
            if bytes == [0xFD, 0x00, 0x0E, 0xC2] + [UInt8](repeating: 0, count: 10) + [0x02, 0x54] {
                return "the cloud metadata address"  // fd00:ec2::254
            }
            if bytes.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
            // An IPv4-mapped address is judged as its IPv4 address.
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return forbidden("\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])")
            }
            return nil
        }
        let name = host.lowercased()
        if name == "metadata.google.internal" || name == "metadata" { return "a cloud metadata name" }
        return nil
    }
}
