import Dispatch
import DriverABI
import DriverModel
import Synchronization

/// Exports a `StreamSpaceDriver` through the C ABI. A Swift driver's whole export is:
///
/// ```swift
/// import DriverABI
/// import DriverSDK
///
/// @c @implementation
/// public func streamspace_driver_entry_v1(
///     _ negotiation: UnsafePointer<ssd_negotiation>!,
///     _ api: UnsafeMutablePointer<UnsafePointer<ssd_driver_api>?>!
/// ) -> ssd_status {
///     DriverExport.entry(MyDriver.self, negotiation, api)
/// }
/// ```
///
/// `@c @implementation` makes the compiler check that signature against the header.
public enum DriverExport {
    /// The ABI version this SDK implements.
    public static let abiVersion = UInt32(SSD_ABI_VERSION_1_0)

    public static func entry<D: StreamSpaceDriver>(
        _ type: D.Type,
        _ negotiation: UnsafePointer<ssd_negotiation>?,
        _ out: UnsafeMutablePointer<UnsafePointer<ssd_driver_api>?>?
    ) -> ssd_status {
        guard let negotiation, let out,
              negotiation.pointee.struct_size >= UInt32(MemoryLayout<ssd_negotiation>.size) else {
            return ssd_status(SSD_INCOMPATIBLE)
        }
        let hostMin = negotiation.pointee.host_min_version
        let hostMax = negotiation.pointee.host_max_version
        // Same major, and the host accepts 1.0 (the oldest this SDK can answer as).
        guard hostMax >> 16 == abiVersion >> 16, hostMin <= abiVersion else {
            return ssd_status(SSD_INCOMPATIBLE)
        }
        registeredDriver.withLock { $0 = type }
        out.pointee = UnsafePointer(functionTable)
        return ssd_status(SSD_OK)
    }
}

/// The driver type this shared object exports. One per shared object: each driver links its own
/// copy of the SDK and binds to it (-Bsymbolic), so two Swift drivers never share this.
private let registeredDriver = Mutex<(any StreamSpaceDriver.Type)?>(nil)

/// The static table the host calls. Built once, never freed (the host never unloads a driver).
nonisolated(unsafe) private let functionTable: UnsafeMutablePointer<ssd_driver_api> = {
    let table = UnsafeMutablePointer<ssd_driver_api>.allocate(capacity: 1)
    table.initialize(to: ssd_driver_api())
    table.pointee.struct_size = UInt32(MemoryLayout<ssd_driver_api>.size)
    table.pointee.abi_version = DriverExport.abiVersion
    table.pointee.create = sdkCreate
    table.pointee.destroy = sdkDestroy
    table.pointee.describe = sdkDescribe
    table.pointee.capabilities = sdkCapabilities
    table.pointee.health = sdkHealth
    table.pointee.start_session = sdkStart
    table.pointee.stop_session = sdkStop
    table.pointee.get_session = sdkGet
    table.pointee.list_sessions = sdkList
    table.pointee.hibernate_session = sdkHibernate
    table.pointee.wake_session = sdkWake
    table.pointee.node_metrics = sdkNodeMetrics
    table.pointee.session_metrics = sdkSessionMetrics
    table.pointee.open_logs = sdkOpenLogs
    table.pointee.resume_logs = sdkResumeLogs
    table.pointee.cancel_logs = sdkCancelLogs
    return table
}()

// MARK: - Instances

/// What `ssd_driver *` points to for a Swift driver.
final class DriverInstance: Sendable {
    let driver: any StreamSpaceDriver
    let host: DriverHost
    /// Read once: constant for the instance's lifetime (header), and the cheapest ABI call.
    let capabilities: ssd_capabilities
    let streams = Mutex<[UInt64: LogStreamEntry]>([:])
    /// The driver's `prepare()`, begun at create; every operation waits for it.
    let preparation: PreparationGate

    struct LogStreamEntry: Sendable {
        let writer: LogWriter
        var task: Task<Void, Never>?
    }

    init(driver: any StreamSpaceDriver, host: DriverHost) {
        self.driver = driver
        self.host = host
        // Every operation is an async function run in a task of its own; the exported C
        // function returns at once. So SDK drivers never block the caller (nonblocking-calls).
        self.capabilities = driver.capabilities.union(.nonblockingCalls).rawValue
        self.preparation = PreparationGate { [driver] in try await driver.prepare() }
        preparation.begin()
    }

    /// The driver, once prepared: what every operation but describe and capabilities goes through.
    func prepared() async throws(DriverError) -> any StreamSpaceDriver {
        try await preparation.wait()
        return driver
    }

    static func from(_ pointer: OpaquePointer?) -> DriverInstance {
        Unmanaged<DriverInstance>.fromOpaque(UnsafeRawPointer(pointer!)).takeUnretainedValue()
    }
}

private func bytes(_ pointer: UnsafePointer<CChar>?, _ count: Int) -> [UInt8] {
    guard let pointer, count > 0 else { return [] }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: count) { Array(UnsafeBufferPointer(start: $0, count: count)) }
}

/// Copies a borrowed session id and checks it against the host's rule (R7).
private func sessionID(_ pointer: UnsafePointer<CChar>?, _ count: Int) throws(DriverError) -> String {
    let id = String(decoding: bytes(pointer, count), as: UTF8.self)
    if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, problem) }
    return id
}

// MARK: - Thunks (plain global functions: C may call them from any thread)

private func sdkCreate(_ host: UnsafePointer<ssd_host>?, _ config: UnsafePointer<CChar>?, _ length: Int,
                       _ out: UnsafeMutablePointer<OpaquePointer?>?, _ error: ssd_reply) -> ssd_status {
    let reply = Reply(raw: error)
    do {
        // Accept any host table that has every member the SDK uses (all since 1.0), so a newer
        // SDK keeps working with older hosts until it needs a newer member.
        let needed = MemoryLayout<ssd_host>.offset(of: \ssd_host.session_changed)! + MemoryLayout<UnsafeRawPointer>.size
        guard let host, let out, Int(host.pointee.struct_size) >= needed, host.pointee.abi_version >> 16 == 1 else {
            throw DriverError(.incompatible, "the host passed no host table, or one that is not ABI 1.x")
        }
        guard let type = registeredDriver.withLock({ $0 }) else {
            throw DriverError(.internal, "create called before the entry point")
        }
        let text = bytes(config, length)
        let configuration = text.isEmpty ? JSONValue.object([:]) : try JSONValue(parsing: text)
        guard case .object = configuration else {
            throw DriverError(.invalidArgument, "the driver config must be a JSON object")
        }
        let driverHost = DriverHost(table: host)
        let instance = DriverInstance(driver: try type.init(configuration: configuration, host: driverHost),
                                      host: driverHost)
        out.pointee = OpaquePointer(Unmanaged.passRetained(instance).toOpaque())
        return ssd_status(SSD_OK)
    } catch let decoding as DecodingError {
        let failure = DriverError(.invalidArgument, "the driver config is not valid JSON: \(decoding)")
        reply.fail(failure)
        return failure.code.rawValue
    } catch {
        let failure = DriverError(describing: error)
        reply.fail(failure)
        return failure.code.rawValue
    }
}

private func sdkDestroy(_ pointer: OpaquePointer?) {
    guard let pointer else { return }
    let instance = Unmanaged<DriverInstance>.fromOpaque(UnsafeRawPointer(pointer)).takeRetainedValue()
    // destroy may block (it runs on a host worker thread); wait for the driver's own cleanup so
    // that nothing of it runs after we return (R8).
    let done = DispatchSemaphore(value: 0)
    Task {
        let streams = instance.streams.withLock { $0.values.map { $0 } }
        for stream in streams {
            stream.writer.cancel()
            stream.task?.cancel()
            await stream.task?.value
        }
        await instance.preparation.finish()
        await instance.driver.shutdown()
        done.signal()
    }
    done.wait()
}

private func sdkDescribe(_ pointer: OpaquePointer?, _ reply: ssd_reply) {
    Reply(raw: reply).succeed(DriverInstance.from(pointer).driver.description)
}

private func sdkCapabilities(_ pointer: OpaquePointer?) -> ssd_capabilities {
    DriverInstance.from(pointer).capabilities
}

private func sdkHealth(_ pointer: OpaquePointer?, _ reply: ssd_reply) {
    let instance = DriverInstance.from(pointer)
    Reply(raw: reply).run {
        // Not prepared is a state to report, not a failed call.
        do {
            return await (try await instance.prepared()).health()
        } catch {
            return Health(.unhealthy, detail: DriverError(describing: error).message)
        }
    }
}

private func sdkStart(_ pointer: OpaquePointer?, _ spec: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    let instance = DriverInstance.from(pointer)
    let reply = Reply(raw: reply)
    do {
        let spec = try JSONCoding.decode(SessionSpec.self, from: bytes(spec, length), what: "session spec")
        try spec.validate()
        reply.run { try await instance.prepared().start(spec) }
    } catch {
        reply.fail(error)
    }
}

private func sdkStop(_ pointer: OpaquePointer?, _ request: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    let instance = DriverInstance.from(pointer)
    let reply = Reply(raw: reply)
    do {
        let request = try JSONCoding.decode(StopRequest.self, from: bytes(request, length), what: "stop request")
        if let problem = SessionID.problem(request.sessionId) { throw DriverError(.invalidArgument, problem) }
        reply.run { try await instance.prepared().stop(request) }
    } catch {
        reply.fail(error)
    }
}

/// The shape shared by every operation that takes only a session id.
private func withSessionID<T: Encodable & Sendable>(
    _ pointer: OpaquePointer?, _ id: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply,
    _ operation: @escaping @Sendable (any StreamSpaceDriver, String) async throws -> T
) {
    let instance = DriverInstance.from(pointer)
    let reply = Reply(raw: reply)
    do {
        let id = try sessionID(id, length)
        reply.run { try await operation(instance.prepared(), id) }
    } catch {
        reply.fail(error)
    }
}

private func sdkGet(_ pointer: OpaquePointer?, _ id: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    withSessionID(pointer, id, length, reply) { try await $0.session($1) }
}

private func sdkList(_ pointer: OpaquePointer?, _ reply: ssd_reply) {
    let instance = DriverInstance.from(pointer)
    Reply(raw: reply).run { SessionList(sessions: try await instance.prepared().sessions()) }
}

private func sdkHibernate(_ pointer: OpaquePointer?, _ id: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    withSessionID(pointer, id, length, reply) { try await $0.hibernate($1) }
}

private func sdkWake(_ pointer: OpaquePointer?, _ id: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    withSessionID(pointer, id, length, reply) { try await $0.wake($1) }
}

private func sdkNodeMetrics(_ pointer: OpaquePointer?, _ reply: ssd_reply) {
    let instance = DriverInstance.from(pointer)
    Reply(raw: reply).run { try await instance.prepared().nodeMetrics() }
}

private func sdkSessionMetrics(_ pointer: OpaquePointer?, _ id: UnsafePointer<CChar>?, _ length: Int, _ reply: ssd_reply) {
    withSessionID(pointer, id, length, reply) { try await $0.sessionMetrics($1) }
}

// MARK: - Log streams

private func endStream(_ host: DriverHost, _ streamID: UInt64, _ error: DriverError?) {
    let code = error?.code ?? .ok
    let detail = error.map { JSONCoding.encode($0.json) } ?? []
    detail.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) {
            host.table.pointee.log_end(host.table.pointee.ctx, streamID, code.rawValue, $0.baseAddress, $0.count)
        }
    }
}

private func sdkOpenLogs(_ pointer: OpaquePointer?, _ streamID: UInt64, _ json: UnsafePointer<CChar>?, _ length: Int) {
    let instance = DriverInstance.from(pointer)
    let request: LogRequest
    do {
        request = try JSONCoding.decode(LogRequest.self, from: bytes(json, length), what: "log request")
        if let problem = SessionID.problem(request.sessionId) { throw DriverError(.invalidArgument, problem) }
    } catch {
        endStream(instance.host, streamID, DriverError(describing: error))
        return
    }
    let writer = LogWriter(host: instance.host, streamID: streamID)
    instance.streams.withLock { $0[streamID] = .init(writer: writer, task: nil) }
    let task = Task {
        var failure: DriverError?
        do {
            try await instance.prepared().streamLogs(request, to: writer)
            if writer.isCancelled { failure = DriverError(.cancelled, "cancelled") }
        } catch {
            failure = writer.isCancelled ? DriverError(.cancelled, "cancelled") : DriverError(describing: error)
        }
        instance.streams.withLock { _ = $0.removeValue(forKey: streamID) }
        endStream(instance.host, streamID, failure)  // exactly once per stream
    }
    instance.streams.withLock { streams in
        if streams[streamID] != nil { streams[streamID]?.task = task }
    }
}

private func sdkResumeLogs(_ pointer: OpaquePointer?, _ streamID: UInt64) {
    DriverInstance.from(pointer).streams.withLock { $0[streamID] }?.writer.resume()
}

private func sdkCancelLogs(_ pointer: OpaquePointer?, _ streamID: UInt64) {
    guard let entry = DriverInstance.from(pointer).streams.withLock({ $0[streamID] }) else { return }
    entry.writer.cancel()
    entry.task?.cancel()
}
