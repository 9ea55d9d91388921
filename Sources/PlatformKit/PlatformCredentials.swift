import DriverModel
import Glibc
import Synchronization

/// How a driver proves who it is to a platform's API, applied to every request as its
/// `Authorization` header. A description never shows the secret.
public enum PlatformCredentials: Sendable, CustomStringConvertible {
    case none
    case bearer(String)
    /// A token file read again whenever its size or modification time changes: Kubernetes
    /// rotates a service account's projected token under a running pod.
    case bearerFile(BearerTokenFile)
    /// vCenter's session login and WinRM take a user and a password.
    case basic(user: String, password: String)

    public static func bearerFile(path: String) -> PlatformCredentials { .bearerFile(BearerTokenFile(path: path)) }

    /// The `Authorization` value, nil for `.none`; an unreadable token file is an error naming it.
    public func authorization() throws(DriverError) -> String? {
        switch self {
        case .none: return nil
        case .bearer(let token): return "Bearer " + (try Self.checked(token, what: "the bearer token"))
        case .bearerFile(let file): return "Bearer " + (try file.token())
        case .basic(let user, let password):
            let pair = try Self.checked(user, what: "the user name") + ":" + (try Self.checked(password, what: "the password"))
            return "Basic " + Base64.encode(Array(pair.utf8))
        }
    }

    public var description: String {
        switch self {
        case .none: "no credentials"
        case .bearer: "a bearer token (redacted)"
        case .bearerFile(let file): "the bearer token in \(file.path)"
        case .basic(let user, _): "user \(user) with a password (redacted)"
        }
    }

    /// A header value must be one line: a CR or LF would start a header of its own.
    static func checked(_ secret: String, what: String) throws(DriverError) -> String {
        guard !secret.isEmpty else { throw DriverError(.invalidArgument, "\(what) is empty") }
        guard !secret.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
            throw DriverError(.invalidArgument, "\(what) holds a line break or NUL, which no header may carry")
        }
        return secret
    }
}

/// A token file, cached until its size or modification time changes.
public final class BearerTokenFile: Sendable {
    public let path: String
    /// A service-account token is about a kilobyte; anything far larger is not a token.
    static let maxBytes = 64 << 10
    private struct Cached { var size: Int; var modified: timespec; var token: String }
    private let cache = Mutex<Cached?>(nil)

    public init(path: String) { self.path = path }

    /// The token, trimmed of surrounding whitespace (files end with a newline).
    func token() throws(DriverError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DriverError(.failedPrecondition, "cannot read the token file \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        let modified = info.st_mtim
        if let cached = cache.withLock({ $0 }), cached.size == size,
           cached.modified.tv_sec == modified.tv_sec, cached.modified.tv_nsec == modified.tv_nsec {
            return cached.token
        }
        guard size <= Self.maxBytes else {
            throw DriverError(.failedPrecondition, "the token file \(path) holds \(size) bytes, more than a token")
        }
        let token = try PlatformCredentials.checked(try Self.read(path).trimmingWhitespace(), what: "the token in \(path)")
        cache.withLock { $0 = Cached(size: size, modified: modified, token: token) }
        return token
    }

    private static func read(_ path: String) throws(DriverError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DriverError(.failedPrecondition, "cannot read the token file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= maxBytes {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw DriverError(.failedPrecondition, "cannot read the token file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// RFC 4648 base64, for basic auth (PlatformKit does not load Foundation).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group = UInt32(bytes[index]) << 16
            if count > 1 { group |= UInt32(bytes[index + 1]) << 8 }
            if count > 2 { group |= UInt32(bytes[index + 2]) }
            for position in 0..<4 {
                out.append(position <= count ? alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
