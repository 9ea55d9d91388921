import DriverABI
import DriverModel
import Logging
import Synchronization

/// The host's side of one driver instance: what `ssd_host.ctx` points to. Lives from before
/// `create` until after `destroy` returns (header, ssd_host).
final class HostContext: Sendable {
    let logger: Logger
    let streams = LockedDictionary<UInt64, DriverLogStream>()
    let sessionChangedHandler = Mutex<(@Sendable (SessionStatus) -> Void)?>(nil)
    /// Contract violations seen through this instance's callbacks (for the conformance kit).
    let violations = Mutex<[String]>([])

    /// Names this instance in reply ids (see ReplyTable).
    let serial: UInt32

    private static let nextSerial = Atomic<UInt32>(1)
    private static let live = LockedDictionary<UInt32, WeakContext>()

    private struct WeakContext: @unchecked Sendable {
        weak var context: HostContext?
    }

    init(logger: Logger) {
        self.logger = logger
        self.serial = Self.nextSerial.wrappingAdd(1, ordering: .relaxed).oldValue
        Self.live[serial] = WeakContext(context: self)
    }

    deinit {
        _ = Self.live.removeValue(forKey: serial)
    }

    /// The live instance a reply id names, if it still exists.
    static func registered(serial: UInt32) -> HostContext? {
        live[serial]?.context
    }

    func violation(_ message: String) {
        violations.withLock { $0.append(message) }
        logger.warning("driver contract violation: \(message)")
    }

    /// Builds the `ssd_host` table handed to the driver; the caller frees it after destroy.
    func makeTable() -> UnsafeMutablePointer<ssd_host> {
        let table = UnsafeMutablePointer<ssd_host>.allocate(capacity: 1)
        table.initialize(to: ssd_host(
            struct_size: UInt32(MemoryLayout<ssd_host>.size),
            abi_version: SSD_ABI_VERSION,
            ctx: Unmanaged.passUnretained(self).toOpaque(),
            log: hostLog,
            log_write: hostLogWrite,
            log_end: hostLogEnd,
            session_changed: hostSessionChanged))
        return table
    }

    static func from(_ ctx: UnsafeMutableRawPointer?) -> HostContext {
        Unmanaged<HostContext>.fromOpaque(ctx!).takeUnretainedValue()
    }
}

// The callbacks: plain global functions (never closures in main.swift, which would be
// @MainActor and trap when a driver thread calls them).

private func hostLog(_ ctx: UnsafeMutableRawPointer?, _ level: Int32, _ message: UnsafePointer<CChar>?, _ length: Int) {
    let context = HostContext.from(ctx)
    let text = String(decoding: copyBytes(message, length), as: UTF8.self)
    let level: Logger.Level = switch Int(level) {
    case Int(SSD_LOG_TRACE): .trace
    case Int(SSD_LOG_DEBUG): .debug
    case Int(SSD_LOG_INFO): .info
    case Int(SSD_LOG_WARNING): .warning
    default: .error
    }
    context.logger.log(level: level, "\(text)")
}

private func hostLogWrite(_ ctx: UnsafeMutableRawPointer?, _ streamID: UInt64, _ channel: Int32,
                          _ data: UnsafePointer<UInt8>?, _ length: Int) -> Int32 {
    let context = HostContext.from(ctx)
    guard let stream = context.streams[streamID] else {
        context.violation("log_write for stream \(streamID), which is not open")
        return Int32(SSD_FLOW_STOP)
    }
    return stream.write(channel: channel, bytes: UnsafeBufferPointer(start: data, count: data == nil ? 0 : max(0, length)))
}

private func hostLogEnd(_ ctx: UnsafeMutableRawPointer?, _ streamID: UInt64, _ status: ssd_status,
                        _ error: UnsafePointer<CChar>?, _ length: Int) {
    let context = HostContext.from(ctx)
    guard let stream = context.streams.removeValue(forKey: streamID) else {
        context.violation("log_end for stream \(streamID), which is not open (ended twice?)")
        return
    }
    let code = DriverStatusCode(abiValue: status)
    stream.end(code == .ok ? nil : DriverError(status: code, errorJSON: copyBytes(error, length)))
}

private func hostSessionChanged(_ ctx: UnsafeMutableRawPointer?, _ json: UnsafePointer<CChar>?, _ length: Int) {
    let context = HostContext.from(ctx)
    do {
        let status = try JSONCoding.decode(SessionStatus.self, from: copyBytes(json, length), what: "session_changed")
        context.sessionChangedHandler.withLock { $0 }?(status)
    } catch {
        context.violation("session_changed with an invalid SessionStatus: \(error)")
    }
}
