import DriverABI
import DriverModel

/// The host's services, as a Swift driver sees them. Valid until the instance is destroyed.
public struct DriverHost: @unchecked Sendable {
    // The host table stays valid and immutable until destroy returns (header, ssd_host).
    let table: UnsafePointer<ssd_host>

    public enum Level: Int32, Sendable {
        case trace = 0, debug, info, warning, error
    }

    /// One line into the agent's log. Never pass secrets.
    public func log(_ level: Level, _ message: String) {
        guard let log = table.pointee.log else { return }
        var message = message
        message.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { log(table.pointee.ctx, level.rawValue, $0.baseAddress, $0.count) }
        }
    }

    /// Reports a change the driver observed by itself (declare `.sessionEvents`).
    public func sessionChanged(_ status: SessionStatus) {
        guard let notify = table.pointee.session_changed else { return }
        let bytes = JSONCoding.encode(status)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { notify(table.pointee.ctx, $0.baseAddress, $0.count) }
        }
    }
}
