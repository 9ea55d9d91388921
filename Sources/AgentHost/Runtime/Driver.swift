import DriverABI
import DriverModel
import Logging
import Synchronization

/// One created driver instance, called through the C ABI with Swift concurrency.
///
/// Blocking calls ([may-block]) run on their own threads (`BlockingCalls`), never on the
/// caller's: awaiting a two-minute start suspends a task and holds no event loop. An instance
/// that declares `nonblockingCalls` is called from the caller's thread instead, for as long as
/// it keeps that promise.
public final class Driver: @unchecked Sendable {
    // @unchecked: `instance` and `hostTable` are touched only by ABI calls, which the driver
    // makes thread-safe (R4), and by destroy, which runs once after every call has finished.

    public let library: DriverLibrary
    public let description: DriverDescription
    /// The describe reply exactly as the driver wrote it.
    public let describeJSON: [UInt8]
    public let capabilities: DriverCapabilities

    private let instance: OpaquePointer
    private let context: HostContext
    private let hostTable: UnsafeMutablePointer<ssd_host>
    private let capabilitiesFunction: @convention(c) (OpaquePointer?) -> ssd_capabilities
    private let nextStreamID = Atomic<UInt64>(1)
    private let inFlight = Atomic<Int>(0)
    private let destroyed = Atomic<Bool>(false)
    /// Calls go straight from the caller's thread: the instance declared nonblocking-calls and
    /// has not broken that promise yet.
    private let callsInline: Atomic<Bool>
    /// Slow returns seen so far, and the first one's description.
    private let slowReturns = Mutex<(count: Int, first: String?)>((0, nil))

    /// A nonblocking call that takes longer than this to return has blocked...
    public static let nonblockingReturnLimit: Duration = .milliseconds(20)
    /// ...and this many such calls break the promise. (One could be the thread's bad luck: a
    /// busy machine may preempt any thread for a while.)
    public static let nonblockingStrikes = 2

    private var api: ssd_driver_api { library.api.pointee }

    private init(library: DriverLibrary, instance: OpaquePointer, context: HostContext,
                 hostTable: UnsafeMutablePointer<ssd_host>, description: DriverDescription,
                 describeJSON: [UInt8], capabilities: DriverCapabilities) {
        self.library = library
        self.instance = instance
        self.context = context
        self.hostTable = hostTable
        self.description = description
        self.describeJSON = describeJSON
        self.capabilities = capabilities
        self.capabilitiesFunction = library.api.pointee.capabilities!
        self.callsInline = Atomic(capabilities.contains(.nonblockingCalls))
    }

    /// How the instance broke its nonblocking-calls promise, if it did (it is then called on
    /// worker threads).
    public var nonblockingPromiseBroken: String? {
        slowReturns.withLock { $0.count >= Self.nonblockingStrikes ? $0.first : nil }
    }

    private func slowReturn(_ operation: Operation, took: Duration) {
        let broken = slowReturns.withLock { slow -> Bool in
            slow.count += 1
            if slow.first == nil { slow.first = "\(operation.rawValue) took \(took) to return" }
            return slow.count == Self.nonblockingStrikes
        }
        guard broken else { return }
        callsInline.store(false, ordering: .relaxed)
        context.logger.warning("driver \(description.name) declares nonblocking-calls, but \(operation.rawValue) took \(took) to return (not the first such call); calling it on worker threads from now on (R3)")
    }

    /// Creates an instance from a JSON config (`{}` when none) and reads what it describes.
    /// Failures are one line naming the file and what went wrong.
    public static func create(_ library: DriverLibrary, configuration: [UInt8] = Array("{}".utf8),
                              logger: Logger? = nil) async throws(DriverLoadError) -> Driver {
        let context = HostContext(logger: logger ?? Logger(label: "streamspace.driver"))
        let hostTable = context.makeTable()
        let retained = Unmanaged.passRetained(context)  // balanced in destroy (or below)
        let (status, instance, errorReply) = await Self.callCreate(library, context, hostTable, configuration)

        guard status == .ok, let instance else {
            retained.release()
            hostTable.deallocate()
            let why = errorReply.map { DriverError(status: status, errorJSON: $0.json).message }
                ?? "driver gave no error message"
            throw DriverLoadError(.createFailed, "driver \(library.path): create failed: \(status.name): \(why)")
        }

        // From here on, failures must destroy the instance they made.
        let created = UnsafeSendable(instance)
        func fail(_ error: DriverLoadError) async -> DriverLoadError {
            await BlockingCalls.value { library.api.pointee.destroy!(created.value) }
            retained.release()
            hostTable.deallocate()
            return error
        }

        let sync = ReplyTable.beginSync(for: context)
        library.api.pointee.describe!(instance, sync.reply)
        let describe = ReplyTable.finishSync(sync.id)
        guard let describe, describe.status == .ok,
              let description = try? JSONCoding.decode(DriverDescription.self, from: describe.json, what: "describe") else {
            throw await fail(DriverLoadError(.createFailed, "driver \(library.path): describe did not reply a Describe object before returning (got \(describe.map { "\($0.status.name) \($0.text)" } ?? "no reply"))"))
        }
        let capabilities = DriverCapabilities(rawValue: library.api.pointee.capabilities!(instance))
        if let missing = missingMembers(for: capabilities, in: library.api.pointee) {
            throw await fail(DriverLoadError(.missingOperation, "driver \(library.path): declares capability \(missing.capability) but ssd_driver_api.\(missing.member) is NULL"))
        }
        if capabilities.isSuperset(of: [.hibernateMemory, .hibernateDisk]) {
            throw await fail(DriverLoadError(.createFailed, "driver \(library.path): declares both hibernate-memory and hibernate-disk; a driver provides one kind of hibernation"))
        }
        if capabilities.contains(.logsFollow) && !capabilities.contains(.logs) {
            throw await fail(DriverLoadError(.createFailed, "driver \(library.path): declares logs-follow without logs"))
        }
        return Driver(library: library, instance: instance, context: context, hostTable: hostTable,
                      description: description, describeJSON: describe.json, capabilities: capabilities)
    }

    private static func callCreate(_ library: DriverLibrary, _ context: HostContext, _ hostTable: UnsafeMutablePointer<ssd_host>,
                                   _ configuration: [UInt8]) async -> (DriverStatusCode, OpaquePointer?, RawReply?) {
        let table = UnsafeSendable(hostTable)
        return await BlockingCalls.value {
            let sync = ReplyTable.beginSync(for: context)
            var instance: OpaquePointer?
            let status = configuration.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    library.api.pointee.create!(table.value, $0.baseAddress, $0.count, &instance, sync.reply)
                }
            }
            return (DriverStatusCode(abiValue: status), status == SSD_OK ? instance : nil,
                    ReplyTable.finishSync(sync.id))
        }
    }

    /// Members a capability makes mandatory.
    static func missingMembers(for capabilities: DriverCapabilities, in api: ssd_driver_api)
        -> (capability: String, member: String)? {
        let required: [(DriverCapabilities, String, Bool)] = [
            (.hibernateMemory, "hibernate_session", api.hibernate_session != nil),
            (.hibernateMemory, "wake_session", api.wake_session != nil),
            (.hibernateDisk, "hibernate_session", api.hibernate_session != nil),
            (.hibernateDisk, "wake_session", api.wake_session != nil),
            (.nodeMetrics, "node_metrics", api.node_metrics != nil),
            (.sessionMetrics, "session_metrics", api.session_metrics != nil),
            (.logs, "open_logs", api.open_logs != nil),
            (.logs, "resume_logs", api.resume_logs != nil),
            (.logs, "cancel_logs", api.cancel_logs != nil),
        ]
        for (capability, member, present) in required where capabilities.contains(capability) && !present {
            return (capability.description, member)
        }
        return nil
    }

    /// Contract violations this instance's callbacks have seen (rule breaks the host detected).
    public var violations: [String] { context.violations.withLock { $0 } }

    /// How long each operation took, for the agent's own metrics.
    private let callLatencies = Mutex<[Operation: Histogram]>([:])
    public var latencies: [Operation: Histogram] { callLatencies.withLock { $0 } }

    /// Where the driver's own observed changes (a container died) go. Set before starting work.
    public func onSessionChanged(_ handler: (@Sendable (SessionStatus) -> Void)?) {
        context.sessionChangedHandler.withLock { $0 = handler }
    }

    // MARK: Raw calls (what the conformance kit uses: any bytes in, the reply as it came)

    public enum Operation: String, Sendable, CaseIterable {
        case health, start, stop, get, list, hibernate, wake, nodeMetrics, sessionMetrics
    }

    /// Calls one operation with raw input bytes (a JSON object or a session id) and returns the
    /// reply as the driver gave it. An operation the table lacks replies UNSUPPORTED.
    public func call(_ operation: Operation, _ input: [UInt8] = []) async -> RawReply {
        inFlight.add(1, ordering: .sequentiallyConsistent)
        let started = ContinuousClock.now
        defer {
            inFlight.subtract(1, ordering: .sequentiallyConsistent)
            let elapsed = ContinuousClock.now - started
            callLatencies.withLock { $0[operation, default: Histogram()].record(elapsed) }
        }
        guard let invoke = invoker(for: operation) else {
            return RawReply(status: .unsupported,
                            json: JSONCoding.encode(DriverError(.unsupported, "the driver has no \(operation.rawValue) operation").json))
        }
        let instance = UnsafeSendable(self.instance)
        return await withCheckedContinuation { continuation in
            let reply = UnsafeSendable(ReplyTable.awaiting(continuation, for: context))
            let invocation = { @Sendable in
                input.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { invoke(instance.value, $0.baseAddress, $0.count, reply.value) }
                }
            }
            guard callsInline.load(ordering: .relaxed) else { return BlockingCalls.run(invocation) }
            let began = ContinuousClock.now
            invocation()
            let took = ContinuousClock.now - began
            if took > Self.nonblockingReturnLimit { slowReturn(operation, took: took) }
        }
    }

    private typealias Invoker = @Sendable (OpaquePointer, UnsafePointer<CChar>?, Int, ssd_reply) -> Void

    private func invoker(for operation: Operation) -> Invoker? {
        let api = self.api
        func withInput(_ function: (@convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int, ssd_reply) -> Void)?) -> Invoker? {
            guard let function else { return nil }
            return { function($0, $1, $2, $3) }
        }
        func withoutInput(_ function: (@convention(c) (OpaquePointer?, ssd_reply) -> Void)?) -> Invoker? {
            guard let function else { return nil }
            return { instance, _, _, reply in function(instance, reply) }
        }
        switch operation {
        case .health: return withoutInput(api.health)
        case .start: return withInput(api.start_session)
        case .stop: return withInput(api.stop_session)
        case .get: return withInput(api.get_session)
        case .list: return withoutInput(api.list_sessions)
        case .hibernate: return withInput(api.hibernate_session)
        case .wake: return withInput(api.wake_session)
        case .nodeMetrics: return withoutInput(api.node_metrics)
        case .sessionMetrics: return withInput(api.session_metrics)
        }
    }

    /// describe, called again ([non-blocking] [sync-reply]): for benchmarks and checks.
    public func describeNow() -> RawReply? {
        let sync = ReplyTable.beginSync(for: context)
        api.describe!(instance, sync.reply)
        return ReplyTable.finishSync(sync.id)
    }

    /// The capabilities call itself ([non-blocking]); the benchmark's cheapest ABI call.
    public func capabilitiesNow() -> UInt64 {
        capabilitiesFunction(instance)
    }

    // MARK: Typed calls (what the agent uses)

    private func typed<T: Decodable>(_ operation: Operation, _ input: [UInt8], _ type: T.Type) async throws(DriverError) -> T {
        let reply = await call(operation, input)
        guard reply.status == .ok else { throw DriverError(status: reply.status, errorJSON: reply.json) }
        do {
            return try JSONCoding.decode(type, from: reply.json, what: "\(description.name) \(operation.rawValue) reply")
        } catch {
            throw DriverError(.internal, "driver replied an invalid object: \(error.message)")
        }
    }

    /// The same for the objects on every command's path, decoded without Foundation.
    private func typedStatus<T: JSONValueDecodable>(_ operation: Operation, _ input: [UInt8], _ type: T.Type) async throws(DriverError) -> T {
        let reply = await call(operation, input)
        guard reply.status == .ok else { throw DriverError(status: reply.status, errorJSON: reply.json) }
        do {
            return try T(jsonValue: try StrictJSON.parse(reply.json))
        } catch let error as DriverError {
            throw DriverError(.internal, "driver replied an invalid object: \(description.name) \(operation.rawValue) reply: \(error.message)")
        } catch {
            throw DriverError(.internal, "driver replied invalid JSON: \(description.name) \(operation.rawValue) reply: \(error)")
        }
    }

    private func checked(_ id: String) throws(DriverError) -> [UInt8] {
        if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, problem) }
        return Array(id.utf8)
    }

    public func health() async -> Health {
        do {
            return try await typed(.health, [], Health.self)
        } catch {
            return Health(.unhealthy, detail: "health check failed: \(error)")
        }
    }

    public func start(_ spec: SessionSpec) async throws(DriverError) -> SessionStatus {
        try spec.validate()
        return try await typedStatus(.start, JSONCoding.encode(spec), SessionStatus.self)
    }

    public func stop(_ request: StopRequest) async throws(DriverError) -> SessionStatus {
        _ = try checked(request.sessionId)
        return try await typedStatus(.stop, JSONCoding.encode(request), SessionStatus.self)
    }

    public func session(_ id: String) async throws(DriverError) -> SessionStatus {
        try await typedStatus(.get, checked(id), SessionStatus.self)
    }

    public func sessions() async throws(DriverError) -> [SessionStatus] {
        try await typedStatus(.list, [], SessionList.self).sessions
    }

    public func hibernate(_ id: String) async throws(DriverError) -> SessionStatus {
        try await typedStatus(.hibernate, checked(id), SessionStatus.self)
    }

    public func wake(_ id: String) async throws(DriverError) -> SessionStatus {
        try await typedStatus(.wake, checked(id), SessionStatus.self)
    }

    public func nodeMetrics() async throws(DriverError) -> NodeMetrics {
        try await typed(.nodeMetrics, [], NodeMetrics.self)
    }

    public func sessionMetrics(_ id: String) async throws(DriverError) -> SessionMetrics {
        try await typed(.sessionMetrics, checked(id), SessionMetrics.self)
    }

    // MARK: Logs

    /// Opens a log stream. Read it to the end (or cancel it): its `.end` event always comes.
    public func openLogs(_ request: LogRequest, highWaterBytes: Int = 256 * 1024) -> DriverLogStream {
        openLogs(raw: JSONCoding.encode(request), highWaterBytes: highWaterBytes)
    }

    public func openLogs(raw request: [UInt8], highWaterBytes: Int = 256 * 1024) -> DriverLogStream {
        let id = nextStreamID.add(1, ordering: .relaxed).oldValue
        let api = self.api
        let instance = UnsafeSendable(self.instance)
        let stream = DriverLogStream(
            streamID: id, highWaterBytes: highWaterBytes,
            resume: { api.resume_logs?(instance.value, id) },
            cancel: { api.cancel_logs?(instance.value, id) })
        guard capabilities.contains(.logs), let open = api.open_logs else {
            stream.end(DriverError(.unsupported, "\(description.name) does not stream logs"))
            return stream
        }
        context.streams[id] = stream
        request.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open(instance.value, id, $0.baseAddress, $0.count) }
        }
        return stream
    }

    // MARK: Destroy

    /// Cancels open log streams, waits for them and for every call in flight, then destroys the
    /// instance (R8). Sessions on the platform are not touched. Calling it twice is harmless.
    public func destroy() async {
        guard !destroyed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        for stream in context.streams.values { stream.cancel() }
        while context.streams.count > 0 || inFlight.load(ordering: .sequentiallyConsistent) > 0 {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let instance = UnsafeSendable(self.instance)
        let library = self.library
        await BlockingCalls.value { library.api.pointee.destroy!(instance.value) }
        Unmanaged.passUnretained(context).release()
        hostTable.deallocate()
    }
}

/// Moves a C pointer across a concurrency boundary where the ABI's rules make that safe.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension BlockingCalls {
    /// Runs `work` on a blocking thread and returns its result.
    static func value<T>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<UnsafeSendable<T>, Never>) in
            run { continuation.resume(returning: UnsafeSendable(work())) }
        }.value
    }
}
