import DriverModel
import Logging
import Synchronization

/// What the checks share: the driver instance (replaced by the recovery check), the sessions
/// the kit created (all stopped at the end), and helpers that call and validate.
final class CheckContext: Sendable {
    let options: ConformanceOptions
    let logger: Logger
    private let state: Mutex<State>
    private let runID: String

    private struct State {
        var driver: Driver
        var created: Set<String> = []
        var counter = 0
        var earlierViolations: [String] = []
        var earlierBrokenPromise: String?
    }

    init(driver: Driver, options: ConformanceOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.state = Mutex(State(driver: driver))
        let hex = Array("0123456789abcdef")
        self.runID = String((0..<8).map { _ in hex[Int.random(in: 0..<16)] })
    }

    var driver: Driver { state.withLock { $0.driver } }
    var earlierViolations: [String] { state.withLock { $0.earlierViolations } }
    /// The first blocked call of any instance of this run (see `Driver.nonblockingPromiseBroken`).
    var nonblockingPromiseBroken: String? {
        state.withLock { $0.earlierBrokenPromise ?? $0.driver.nonblockingPromiseBroken }
    }

    /// Replaces the instance after the recovery check destroyed the old one.
    func replaceDriver(_ driver: Driver, keepingViolationsOf old: Driver) {
        state.withLock {
            $0.earlierViolations += old.violations
            $0.earlierBrokenPromise = $0.earlierBrokenPromise ?? old.nonblockingPromiseBroken
            $0.driver = driver
        }
    }

    /// A fresh session id, unique to this run: "conformance-<run>-<n>".
    func newSessionID() -> String {
        let number = state.withLock { state -> Int in
            state.counter += 1
            return state.counter
        }
        return "conformance-\(runID)-\(number)"
    }

    /// The spec the kit starts sessions from.
    func spec(_ id: String) -> JSONValue {
        var labels: [String: JSONValue] = ["streamspace.io/conformance": .string("true")]
        for (key, value) in options.labels { labels[key] = .string(value) }
        return .object([
            "id": .string(id),
            "user": .string("conformance"),
            "template": .object([
                "name": .string("conformance"),
                "image": .string(options.image),
                "env": .object(["STREAMSPACE_CONFORMANCE": .string("1")]),
                "ports": .array([.object(["name": .string("http"), "port": .int(Int64(options.port)), "protocol": .string("tcp")])]),
            ]),
            "resources": .object([
                "cpu": .string("500m"), "memory": .string("256Mi"),
                "cpuMillicores": .int(500), "memoryBytes": .int(256 << 20),
            ]),
            "persistentHome": .bool(false),
            "labels": .object(labels),
        ])
    }

    // MARK: Calls

    func call(_ operation: Driver.Operation, _ input: [UInt8] = []) async throws -> RawReply {
        let driver = self.driver
        return try await withDeadline(options.operationTimeout, operation.rawValue) { await driver.call(operation, input) }
    }

    func call(_ operation: Driver.Operation, json: JSONValue) async throws -> RawReply {
        try await call(operation, Array(json.jsonString().utf8))
    }

    func call(_ operation: Driver.Operation, id: String) async throws -> RawReply {
        try await call(operation, Array(id.utf8))
    }

    /// Expects OK and an object valid against `schema`; returns the object.
    @discardableResult
    func expectOK(_ reply: RawReply, _ schema: String, _ what: String) throws -> JSONValue {
        try expect(reply.status == .ok, "\(what): expected OK, got \(reply.status.name) \(reply.text)")
        let value: JSONValue
        do {
            value = try JSONValue(parsing: reply.json)
        } catch {
            throw CheckFailure("\(what): the reply is not JSON: \(reply.text.prefix(200))")
        }
        let violations = SchemaRegistry.driverV1.validate(value, against: schema)
        try expect(violations.isEmpty, "\(what): the reply is not a valid \(schema): \(violations.map(\.description).joined(separator: "; "))")
        return value
    }

    /// Expects an error code and, if the driver sent one, a valid Error object.
    func expectError(_ reply: RawReply, _ code: DriverStatusCode, _ what: String) throws {
        try expect(reply.status == code, "\(what): expected \(code.name), got \(reply.status.name) \(reply.text.prefix(200))")
        guard !reply.json.isEmpty else { return }
        guard let value = try? JSONValue(parsing: reply.json) else {
            throw CheckFailure("\(what): the Error object is not JSON: \(reply.text.prefix(200))")
        }
        let violations = SchemaRegistry.driverV1.validate(value, against: "error")
        try expect(violations.isEmpty, "\(what): invalid Error object: \(violations.map(\.description).joined(separator: "; "))")
    }

    /// Starts a session, waits until it runs, and returns its status.
    @discardableResult
    func startRunning(_ id: String) async throws -> JSONValue {
        let reply = try await call(.start, json: spec(id))
        // Whatever the reply, the platform may hold something now: clean it up at the end.
        state.withLock { _ = $0.created.insert(id) }
        let started = try expectOK(reply, "session-status", "start \(id)")
        try expect(started["sessionId"]?.stringValue == id, "start \(id): the status names session \(started["sessionId"]?.jsonString() ?? "none")")
        let state = started["state"]?.stringValue
        try expect(state == "running" || state == "starting", "start \(id): expected state running or starting, got \(state ?? "none")")
        return try await waitFor(id, state: "running")
    }

    /// Polls get_session until the session reaches `state` (or the operation timeout passes).
    func waitFor(_ id: String, state wanted: String) async throws -> JSONValue {
        let deadline = ContinuousClock.now + .milliseconds(Int(options.operationTimeout * 1000))
        while true {
            let status = try expectOK(try await call(.get, id: id), "session-status", "get \(id)")
            let state = status["state"]?.stringValue ?? "none"
            if state == wanted { return status }
            try expect(state == "starting" && ContinuousClock.now < deadline,
                       "get \(id): expected state \(wanted), got \(state)")
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func stop(_ id: String) async throws -> RawReply {
        let reply = try await call(.stop, json: .object(["sessionId": .string(id)]))
        if reply.status == .ok { state.withLock { _ = $0.created.remove(id) } }
        return reply
    }

    func listedIDs() async throws -> Set<String> {
        let list = try expectOK(try await call(.list), "session-list", "list")
        return Set(list["sessions"]?.arrayValue?.compactMap { $0["sessionId"]?.stringValue } ?? [])
    }

    /// Stops whatever the kit started and did not stop, so a failed run leaves nothing behind.
    func cleanUp() async {
        for id in state.withLock({ $0.created }).sorted() {
            if let reply = try? await stop(id), reply.status != .ok {
                logger.warning("driver-check could not stop \(id): \(reply.status.name) \(reply.text)")
            }
        }
    }
}
