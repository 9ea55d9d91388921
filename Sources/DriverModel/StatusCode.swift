/// The ABI's closed set of status codes (`ssd_status` in streamspace_driver.h), with their retry
/// meaning. Raw values equal the C constants; a test holds the two together.
public enum DriverStatusCode: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case ok = 0
    case invalidArgument = 1
    case notFound = 2
    case alreadyExists = 3
    case failedPrecondition = 4
    case unsupported = 5
    case unavailable = 6
    case timeout = 7
    case resourceExhausted = 8
    case cancelled = 9
    case `internal` = 10
    case incompatible = 11

    /// A code from a newer driver that this host does not know is an internal error (header).
    public init(abiValue: Int32) {
        self = DriverStatusCode(rawValue: abiValue) ?? .internal
    }

    /// The name used in Error objects and messages: "UNAVAILABLE", "NOT_FOUND", ...
    public var name: String {
        switch self {
        case .ok: "OK"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .unsupported: "UNSUPPORTED"
        case .unavailable: "UNAVAILABLE"
        case .timeout: "TIMEOUT"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .cancelled: "CANCELLED"
        case .internal: "INTERNAL"
        case .incompatible: "INCOMPATIBLE"
        }
    }

    public init?(name: String) {
        guard let code = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = code
    }

    public var description: String { name }

    /// Whether the same call may succeed later without any input changing.
    public var isRetryable: Bool {
        switch self {
        case .unavailable, .timeout, .resourceExhausted: true
        default: false
        }
    }
}
