/// An error a driver reported, or one the host raises about a driver. Carries the ABI status
/// code and the Error object's fields (Docs/schemas/error.schema.json).
public struct DriverError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: DriverStatusCode
    public var message: String
    public var retryAfterMs: Int64?
    public var detail: JSONValue?

    public init(_ code: DriverStatusCode, _ message: String, retryAfterMs: Int64? = nil,
                detail: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.retryAfterMs = retryAfterMs
        self.detail = detail
    }

    public var description: String { "\(code.name): \(message)" }

    public var isNotFound: Bool { code == .notFound }
    public var isRetryable: Bool { code.isRetryable }

    /// The Error object, as a driver sends it across the ABI.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .string(code.name), "message": .string(message)]
        if let retryAfterMs { members["retryAfterMs"] = .int(retryAfterMs) }
        if let detail { members["detail"] = detail }
        return .object(members)
    }

    /// Reads an Error object a driver sent with `status`. The status code wins over the
    /// object's "code"; a missing or unreadable object still yields a usable error.
    public init(status: DriverStatusCode, errorJSON: [UInt8]?) {
        let object = errorJSON.flatMap { try? JSONValue(parsing: $0) }
        let message = object?["message"]?.stringValue
        self.init(status, (message?.isEmpty == false) ? message! : "driver gave no error message",
                  retryAfterMs: object?["retryAfterMs"]?.intValue,
                  detail: object?["detail"])
    }
}
