import DriverModel

/// The one mapping from what a platform answered when it refused a call (the HTTP status and
/// its own error text) to the ABI's status codes, for every driver of a REST platform.
///
/// Why the text counts: LXD answers 500 for many problems that can never pass (a missing
/// profile, a bad volume option) and reports a failed background operation with no HTTP status
/// at all, only its message; Docker answers 500 both for a registry that is down and for a body
/// it cannot decode. So known texts are read first, then the status. Only what can pass by
/// itself is temporary (UNAVAILABLE, TIMEOUT, RESOURCE_EXHAUSTED): the host retries those and
/// nothing else. Each rule is held by a golden capture of the real daemon's answer
/// (Tests/Fixtures/lxd/errors, Tests/Fixtures/docker/errors).
public enum PlatformErrorClass {
    /// Texts in the order they are tried (lowercased substrings). Temporary causes come first:
    /// a text naming a refused connection is about the network, whatever else it says.
    static let textRules: [(needle: String, code: DriverStatusCode)] = [
        // The platform, a registry or an image server cannot be reached right now.
        ("connection refused", .unavailable), ("connection reset", .unavailable),
        ("no route to host", .unavailable), ("network is unreachable", .unavailable),
        ("temporary failure in name resolution", .unavailable), ("no such host", .unavailable),
        ("server misbehaving", .unavailable), ("toomanyrequests", .unavailable),
        ("instance is busy", .unavailable), ("database is locked", .unavailable),
        ("i/o timeout", .timeout), ("context deadline exceeded", .timeout), ("handshake timeout", .timeout),
        // A host port taken between the driver's pick and the platform's bind (a race with
        // another start): trying again picks another port.
        ("port is already allocated", .unavailable), ("address already in use", .unavailable),
        // Used up now; may free up.
        ("no space left on device", .resourceExhausted), ("too many open files", .resourceExhausted),
        // This platform cannot do it at all.
        ("is too new", .incompatible),
        ("snapshot dump failed", .unsupported), ("criu", .unsupported), ("not supported", .unsupported),
        // The object is in the wrong state for the call.
        ("is already running", .failedPrecondition), ("is already stopped", .failedPrecondition),
        ("cannot remove a running container", .failedPrecondition), ("instance is running", .failedPrecondition),
        ("is not running", .failedPrecondition),
        // Names and references. Docker's "no such image: X: invalid reference format" is about
        // the reference, not the image.
        ("invalid reference format", .invalidArgument),
        ("already exists", .alreadyExists), ("is already in use", .alreadyExists),
        ("not found", .notFound), ("no such", .notFound), ("doesn't exist", .notFound),
        ("does not exist", .notFound), ("image not provided", .notFound),
        // The request itself is wrong.
        ("unknown configuration key", .invalidArgument), ("invalid", .invalidArgument),
        ("unknown action", .invalidArgument), ("minimum memory limit", .invalidArgument),
        ("range of cpus", .invalidArgument), ("cannot unmarshal", .invalidArgument),
    ]

    /// How much of an error text the rules are matched against.
    static let maxSearchedBytes = 4096

    private static func contains(_ text: [UInt8], _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, text.count >= pattern.count else { return pattern.isEmpty }
        for start in 0...(text.count - pattern.count) where text[start] == pattern[0] {
            if text[start..<(start + pattern.count)].elementsEqual(pattern) { return true }
        }
        return false
    }

    /// Kubernetes' machine-readable `reason`s whose meaning the status alone does not give:
    /// a 409 is a name taken (AlreadyExists) or a stale write (Conflict: read again, then write).
    static let reasonRules: [String: DriverStatusCode] = [
        "Conflict": .failedPrecondition, "AlreadyExists": .alreadyExists,
        "ServerTimeout": .timeout, "Timeout": .timeout,
        "TooManyRequests": .unavailable, "ServiceUnavailable": .unavailable,
    ]

    /// The code for a refusal. `status` is the HTTP status, or nil for a failure reported
    /// inside a 200 (LXD's background operations, Docker's pull progress); `reason` is a
    /// platform's machine-readable cause (Kubernetes' Status `reason`), read first.
    public static func code(status: Int?, message: String, reason: String? = nil) -> DriverStatusCode {
        if let reason, let code = reasonRules[reason] { return code }
        // Searched as ASCII-lowercased bytes, over the head of the text only: a platform's
        // reason is short, and a hostile body must not make every refusal cost milliseconds.
        let text = message.utf8.prefix(maxSearchedBytes).map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        if let rule = textRules.first(where: { contains(text, $0.needle) }) { return rule.code }
        switch status {
        case 400, 413, 414, 422: return .invalidArgument
        case 401, 403, 412: return .failedPrecondition
        case 404, 410: return .notFound
        case 405, 501: return .unsupported
        case 408, 504: return .timeout
        case 409: return .alreadyExists
        case 429, 502, 503: return .unavailable
        case 507: return .resourceExhausted
        // An unknown 500, or an operation failure we have no rule for: not known to pass, so
        // not retried; the platform's message says what happened.
        default: return .internal
        }
    }

    /// The driver's error for a refusal: `<prefix>: <what>: <message>`, the message classified
    /// whole and shown through `shown` (LXD forwards whole CRIU logs: a person needs the first lines).
    public static func error(_ prefix: String, status: Int?, message: String, what: String,
                             shown: (String) -> String = { $0 }) -> DriverError {
        let text = message.isEmpty ? "HTTP \(status.map(String.init) ?? "error")" : shown(message)
        return DriverError(code(status: status, message: message), "\(prefix): \(what): \(text)")
    }
}

/// What a platform said when it refused a call, read from its own error body: the status to
/// classify by (nil for a failure inside a 200) and the platform's message.
public struct PlatformRefusal: Sendable, Equatable {
    public var status: Int?
    public var message: String
    /// The platform's machine-readable cause, when it gives one (Kubernetes: "Forbidden").
    public var reason: String?
    /// How long the platform asked to be left alone (`Retry-After` on a 429 or 503).
    public var retryAfterMs: Int64?

    public init(status: Int?, message: String, reason: String? = nil, retryAfterMs: Int64? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.retryAfterMs = retryAfterMs
    }

    public var code: DriverStatusCode { PlatformErrorClass.code(status: status, message: message, reason: reason) }

    /// The driver's error: `<prefix>: <what>: <message>`, with the platform's retry delay.
    public func error(_ prefix: String, what: String) -> DriverError {
        let text = message.isEmpty ? "HTTP \(status.map(String.init) ?? "error")" : message
        return DriverError(code, "\(prefix): \(what): \(text)", retryAfterMs: retryAfterMs)
    }

    /// The same refusal with the wait the answer's `Retry-After` asks for.
    public func retrying(after response: PlatformResponse, now: Int64? = nil) -> PlatformRefusal {
        var copy = self
        copy.retryAfterMs = now.map { RetryAfter.milliseconds(status: response.status, headers: response.headers, now: $0) }
            ?? RetryAfter.milliseconds(status: response.status, headers: response.headers)
        return copy
    }

    /// LXD: a sync error `{"type": "error", "error_code": 404, "error": "…"}`, or the `/wait`
    /// answer of an operation that failed `{"metadata": {"status_code": 400, "err": "…"}}`
    /// (its status code is LXD's "Failure", not HTTP). Nil when the body reports no failure.
    public static func lxd(httpStatus: Int, body: JSONValue, fallback: String = "") -> PlatformRefusal? {
        if (200..<300).contains(httpStatus), body["type"]?.stringValue != "error" {
            guard let operation = body["metadata"], let code = operation["status_code"]?.intValue,
                  code >= 400, code != 401 else { return nil }
            return PlatformRefusal(status: nil, message: operation["err"]?.stringValue ?? operation["status"]?.stringValue ?? "failed")
        }
        let errorCode = body["error_code"]?.intValue.map(Int.init)
        return PlatformRefusal(status: errorCode == 0 ? httpStatus : errorCode ?? httpStatus,
                               message: body["error"]?.stringValue ?? fallback)
    }

    /// Docker: `{"message": "…"}` with the HTTP status. Nil for a success.
    public static func docker(httpStatus: Int, body: JSONValue?, fallback: String = "") -> PlatformRefusal? {
        guard !(200..<300).contains(httpStatus) else { return nil }
        return PlatformRefusal(status: httpStatus, message: body?["message"]?.stringValue ?? fallback)
    }
}
