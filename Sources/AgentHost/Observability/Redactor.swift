import ControlPlaneProtocol
import DriverModel
import Glibc
import Synchronization

/// The secrets this agent holds, and the one function that takes them out of a text before it
/// is logged or sent. Texts from outside are not the agent's to vouch for: a Control Plane's
/// error body may echo the API key, a driver's message may quote its password. Every log line
/// passes through `RedactingLogHandler`, every message to the Control Plane through the
/// outbox, and the start-up's fatal lines through the CLI's writer — all three call `redact`.
///
/// Secrets are learned as they appear (the key in use, a key the server issues later, driver
/// config secrets), so one instance lives for the whole process.
public final class Redactor: Sendable {
    /// What a secret becomes. No longer than the shortest secret: redacting never makes a
    /// text longer, so a reply cut to fit its frame still fits once redacted.
    public static let placeholder = "***"
    /// Shorter values are not treated as secrets: redacting every "abc" would garble each line
    /// and protect nothing (a real key or password is longer).
    public static let minimumLength = 6

    /// Longest first: a secret that contains another is taken out whole.
    private let secrets = Mutex<[[UInt8]]>([])

    public init(_ secrets: [String] = []) {
        for secret in secrets { add(secret) }
    }

    /// Adds a secret (nil, short or known ones are ignored).
    public func add(_ secret: String?) {
        guard let secret, secret.utf8.count >= Self.minimumLength else { return }
        let bytes = Array(secret.utf8)
        secrets.withLock { secrets in
            guard !secrets.contains(bytes) else { return }
            secrets.append(bytes)
            secrets.sort { $0.count > $1.count }
        }
    }

    public var count: Int { secrets.withLock { $0.count } }

    /// `text` with every secret replaced by `placeholder`.
    public func redact(_ text: String) -> String {
        let secrets = self.secrets.withLock { $0 }
        return secrets.isEmpty ? text : Self.redact(text, secrets)
    }

    /// Every string of `value` (object keys too) redacted; the same value when none holds a
    /// secret (the common case costs one search per string, no copy).
    public func redact(_ value: JSONValue) -> JSONValue {
        let secrets = self.secrets.withLock { $0 }
        return secrets.isEmpty || !Self.holdsSecret(value, secrets) ? value : Self.redact(value, secrets)
    }

    /// The message with every string of its payload redacted.
    public func redact(_ message: Message) -> Message {
        var message = message
        message.payload = redact(message.payload)
        return message
    }

    /// Learns the secrets of a driver's config: the string values of keys whose name ends in
    /// password, passphrase, secret, token or apiKey (any case, at any depth) — the names a
    /// driver gives its credentials (`vcenterPassword`, `bearerToken`, `clientSecret`).
    public func addSecrets(ofDriverConfig config: JSONValue) {
        switch config {
        case .object(let members):
            for (key, value) in members {
                if case .string(let text) = value, Self.namesSecret(key) { add(text) } else { addSecrets(ofDriverConfig: value) }
            }
        case .array(let values):
            for value in values { addSecrets(ofDriverConfig: value) }
        case .null, .bool, .int, .double, .string:
            break
        }
    }

    static func namesSecret(_ key: String) -> Bool {
        let name = key.lowercased().filter { $0 != "_" && $0 != "-" }
        return ["password", "passphrase", "secret", "token", "apikey"].contains { name.hasSuffix($0) }
    }

    private static func holdsSecret(_ value: JSONValue, _ secrets: [[UInt8]]) -> Bool {
        switch value {
        case .string(let text): return holdsSecret(text, secrets)
        case .array(let values): return values.contains { holdsSecret($0, secrets) }
        case .object(let members): return members.contains { holdsSecret($0.key, secrets) || holdsSecret($0.value, secrets) }
        case .null, .bool, .int, .double: return false
        }
    }

    private static func holdsSecret(_ text: String, _ secrets: [[UInt8]]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in secrets.contains { find($0, in: bytes, from: 0) != nil } }
    }

    private static func redact(_ value: JSONValue, _ secrets: [[UInt8]]) -> JSONValue {
        switch value {
        case .string(let text): return .string(redact(text, secrets))
        case .array(let values): return .array(values.map { redact($0, secrets) })
        case .object(let members):
            var redacted: [String: JSONValue] = [:]
            redacted.reserveCapacity(members.count)
            for (key, member) in members { redacted[redact(key, secrets)] = redact(member, secrets) }
            return .object(redacted)
        case .null, .bool, .int, .double: return value
        }
    }

    /// Byte search on the UTF-8 form: a secret is valid UTF-8, so a match starts and
    /// ends on character boundaries.
    static func redact(_ text: String, _ secrets: [[UInt8]]) -> String {
        var text = text
        for secret in secrets {
            let replaced: [UInt8]? = text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, Self.find(secret, in: bytes, from: 0) != nil else { return nil }
                var result: [UInt8] = []
                result.reserveCapacity(bytes.count)
                var position = 0
                while let match = Self.find(secret, in: bytes, from: position) {
                    result.append(contentsOf: UnsafeBufferPointer(start: base + position, count: match - position))
                    result.append(contentsOf: placeholder.utf8)
                    position = match + secret.count
                }
                result.append(contentsOf: UnsafeBufferPointer(start: base + position, count: bytes.count - position))
                return result
            }
            if let replaced { text = String(decoding: replaced, as: UTF8.self) }
        }
        return text
    }

    /// The offset of `secret` in `bytes` from `start`: memchr for its first byte, memcmp for
    /// the rest (glibc's memmem is not exposed to Swift).
    private static func find(_ secret: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, let first = secret.first else { return nil }
        return secret.withUnsafeBytes { needleBytes -> Int? in
            guard let needle = needleBytes.baseAddress else { return nil }
            var position = start
            while bytes.count - position >= secret.count {
                guard let hit = memchr(base + position, Int32(first), bytes.count - position - secret.count + 1) else { return nil }
                let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
                if memcmp(base + offset, needle, secret.count) == 0 { return offset }
                position = offset + 1
            }
            return nil
        }
    }
}
