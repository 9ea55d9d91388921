import DriverModel

/// What a driver written in Swift implements. The SDK turns it into the C ABI of
/// streamspace_driver.h: it decodes the host's JSON, calls these methods on Swift concurrency,
/// encodes the answers and delivers each reply exactly once.
///
/// Contract reminders (the header's rules, in Swift terms):
/// - Throw `DriverError` with the right code; any other error becomes `INTERNAL`.
/// - Be idempotent by session id (R6) and validate before touching the platform (R7).
/// - Methods may run concurrently for different sessions (R4): the type must be thread-safe.
/// - Never print to stdout (R9): log through `host`.
public protocol StreamSpaceDriver: AnyObject, Sendable {
    /// Builds an instance from the operator's JSON config (an object; `{}` when none). Throw
    /// `.invalidArgument` for unknown keys or bad values. Do not fail because the platform is
    /// down: report that from `health()`.
    init(configuration: JSONValue, host: DriverHost) throws

    /// The driver's asynchronous start: log in, discover the platform's API versions — whatever
    /// needs the platform. The SDK calls it once, in the background, right after `init` (which
    /// must stay quick and offline); every operation waits for it to finish. When it throws a
    /// retryable error (UNAVAILABLE, TIMEOUT…) the next operation calls it again; any other error
    /// is final and every operation reports it. Health reports it as `unhealthy`.
    func prepare() async throws

    var description: DriverDescription { get }
    /// Constant for the instance's lifetime.
    var capabilities: DriverCapabilities { get }

    func health() async -> Health
    func start(_ spec: SessionSpec) async throws -> SessionStatus
    func stop(_ request: StopRequest) async throws -> SessionStatus
    /// Throws `.notFound` for a session the driver does not manage.
    func session(_ id: String) async throws -> SessionStatus
    func sessions() async throws -> [SessionStatus]

    // Optional, by capability. The defaults throw `.unsupported`.
    func hibernate(_ id: String) async throws -> SessionStatus
    func wake(_ id: String) async throws -> SessionStatus
    func nodeMetrics() async throws -> NodeMetrics
    func sessionMetrics(_ id: String) async throws -> SessionMetrics
    /// Writes the stream's bytes with `writer` and returns when it is complete. Cancellation
    /// (the host's cancel) arrives as Swift task cancellation and as `writer.write` throwing.
    func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws

    /// Called once before the instance is destroyed, after every operation has replied.
    /// Stop background work here: nothing may run after it returns.
    func shutdown() async
}

extension StreamSpaceDriver {
    public func prepare() async throws {}

    public func hibernate(_ id: String) async throws -> SessionStatus {
        throw DriverError(.unsupported, "\(description.name) does not hibernate sessions")
    }

    public func wake(_ id: String) async throws -> SessionStatus {
        throw DriverError(.unsupported, "\(description.name) does not hibernate sessions")
    }

    public func nodeMetrics() async throws -> NodeMetrics {
        throw DriverError(.unsupported, "\(description.name) does not report node metrics")
    }

    public func sessionMetrics(_ id: String) async throws -> SessionMetrics {
        throw DriverError(.unsupported, "\(description.name) does not report session metrics")
    }

    public func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws {
        throw DriverError(.unsupported, "\(description.name) does not stream logs")
    }

    public func shutdown() async {}
}
