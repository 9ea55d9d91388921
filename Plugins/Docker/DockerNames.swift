import DriverModel

/// How sessions map to Docker object names and labels. Names follow StreamSpace's earlier Docker
/// controller (`ss-<sessionId>`, `…-home`), so operators find what they know. Everything the
/// driver later looks up, it looks up by label, never by parsing a name.
enum DockerNames {
    static let managedLabel = "streamspace.io/managed"
    static let sessionLabel = "streamspace.io/session"
    static let userLabel = "streamspace.io/user"
    static let templateLabel = "streamspace.io/template"
    static let volumeLabel = "streamspace.io/volume"
    /// The template's ports (PlatformKit's PortList), so endpoints can be named again.
    static let portsLabel = "streamspace.io/ports"

    static func container(_ sessionID: String) -> String { "ss-\(sessionID)" }

    /// A hibernated session's container carries this name. Docker labels cannot change after
    /// creation, so the name is the platform-side record that the agent stopped the container
    /// on purpose (a container stopped any other way is a failed session). Session ids are
    /// lowercase, so the capital letters can never collide with another session's name.
    static func hibernatedContainer(_ sessionID: String) -> String { "ss-\(sessionID).Hibernated" }

    static func isHibernatedName(_ name: String) -> Bool {
        name.hasSuffix(".Hibernated")
    }

    /// The named volume for a template volume mount. The home keeps StreamSpace's `-home`.
    static func volume(_ sessionID: String, mount: String) -> String {
        mount == "home" ? "ss-\(sessionID)-home" : "ss-\(sessionID)-vol-\(mount)"
    }

    /// Docker's rule for container, network and volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isAlnum(first), name.utf8.count <= 200 else { return false }
        return name.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    private static func isAlnum(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar))
    }

    /// Checks a session id before any Docker call: the host's rule, which is also Docker's
    /// (a container name must be valid). Throws INVALID_ARGUMENT.
    static func requireValidSession(_ id: String) throws(DriverError) {
        if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, "docker: \(problem)") }
        guard isValidName(container(id)) else {
            throw DriverError(.invalidArgument, "docker: session id \"\(id)\" does not make a valid container name")
        }
    }
}

/// An image reference split the way the Engine API's pull wants it: `fromImage` and `tag`
/// (a reference without a tag means `latest`; Docker would otherwise pull every tag).
struct ImageReference: Sendable, Equatable {
    var repository: String
    /// A tag, or a digest (`sha256:…`).
    var tag: String

    var reference: String { tag.hasPrefix("sha256:") ? "\(repository)@\(tag)" : "\(repository):\(tag)" }

    init(_ text: String) throws(DriverError) {
        // Docker's reference grammar uses only these characters.
        let allowed = text.unicodeScalars.allSatisfy {
            $0.isASCII && (("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "._-/:@".unicodeScalars.contains($0))
        }
        guard !text.isEmpty, text.utf8.count <= 512, allowed, !text.hasPrefix("-") else {
            throw DriverError(.invalidArgument, "docker: \"\(text)\" is not a valid image reference")
        }
        if let at = text.firstIndex(of: "@") {
            repository = String(text[..<at])
            tag = String(text[text.index(after: at)...])
        } else if let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") {
            repository = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
        } else {
            repository = text
            tag = "latest"
        }
        guard !repository.isEmpty, !tag.isEmpty else {
            throw DriverError(.invalidArgument, "docker: \"\(text)\" is not a valid image reference")
        }
    }
}
