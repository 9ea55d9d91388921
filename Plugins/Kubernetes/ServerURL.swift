import DriverModel

/// An API server address as kubeconfig writes it: `https://host[:port][/path]` (port 443 by
/// default) or `http://` (a local proxy, port 80). Nothing else: a typo must not become a request
/// to a different place.
struct ServerURL: Equatable {
    var useTLS: Bool
    var host: String
    var port: Int
    /// The path the server URL carries, without a final '/', or "".
    var path: String

    init(_ text: String, what: @autoclosure () -> String) throws(DriverError) {
        let scheme: Substring
        let rest: Substring
        if let range = text.range(of: "://") {
            scheme = text[..<range.lowerBound]
            rest = text[range.upperBound...]
        } else {
            throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" must start with https:// or http://")
        }
        switch scheme.lowercased() {
        case "https": useTLS = true
        case "http": useTLS = false
        default: throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" must start with https:// or http://")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let tail = rest[authority.endIndex...]
        guard !tail.contains("?"), !tail.contains("#"), !authority.contains("@") else {
            throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" must not carry credentials, a query or a fragment")
        }
        var hostPart: Substring, portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" has an unclosed IPv6 address")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portPart = after.hasPrefix(":") ? after.dropFirst() : (after.isEmpty ? nil : after)
        } else {
            let pieces = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            hostPart = pieces[0]
            portPart = pieces.count > 1 ? pieces[1] : nil
        }
        guard !hostPart.isEmpty,
              hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:_".contains($0)) }) else {
            throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" has no valid host")
        }
        host = String(hostPart)
        if let portPart {
            guard let number = Int(portPart), (1...65535).contains(number) else {
                throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" has an invalid port")
            }
            port = number
        } else {
            port = useTLS ? 443 : 80
        }
        var trimmed = String(tail)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.split(separator: "/").contains("..") else {
            throw DriverError(.invalidArgument, "kubernetes: \(what()) \"\(text)\" must not contain '..'")
        }
        path = trimmed
    }
}
