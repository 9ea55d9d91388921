import DriverModel

/// How sessions map to LXD: instance names and the `user.*` keys that record which session an
/// instance is. Lookups always go by the keys, never by parsing a name.
enum LXDNames {
    static let managedKey = "user.streamspace.managed"
    static let sessionKey = "user.streamspace.session"
    static let userKey = "user.streamspace.user"
    static let templateKey = "user.streamspace.template"
    static let portsKey = "user.streamspace.ports"
    /// "hibernated" while the agent keeps the instance stopped on purpose. LXD config can
    /// change after creation, so, unlike Docker, the record is a key.
    static let stateKey = "user.streamspace.state"
    static let portDevicePrefix = "ss-port-"

    /// An instance name is a host name (letters, digits, '-', ≤ 63, not starting with a digit
    /// or '-'); session ids also allow '.', '_' and 100 characters. Ids that already fit keep
    /// StreamSpace's `ss-<id>`; others get a readable prefix and a hash of the whole id, so two
    /// ids never share a name.
    static func instance(_ sessionID: String) -> String {
        let plain = "ss-\(sessionID)"
        if plain.count <= 63, plain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            return plain
        }
        let readable = String(sessionID.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(40))
        return "ss-\(readable)-h\(hash(sessionID))"
    }

    static func homeVolume(_ sessionID: String, mount: String) -> String {
        "\(instance(sessionID))-\(mount == "home" ? "home" : "vol-\(mount.filter { $0.isASCII && ($0.isLetter || $0.isNumber) })")"
    }

    /// FNV-1a, 64 bits, as 16 hex digits: stable across processes (Swift's Hasher is not).
    static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Names of projects, pools and profiles: what LXD accepts in a URL path segment.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    static func requireValidSession(_ id: String) throws(DriverError) {
        if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, "lxd: \(problem)") }
    }
}
