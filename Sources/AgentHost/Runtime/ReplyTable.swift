import DriverABI
import DriverModel
import Synchronization

/// What a driver replied to one call: the status and the bytes (result or Error object).
public struct RawReply: Sendable {
    public var status: DriverStatusCode
    public var json: [UInt8]

    public init(status: DriverStatusCode, json: [UInt8]) {
        self.status = status
        self.json = json
    }

    public var text: String { String(decoding: json, as: UTF8.self) }
}

/// Operations waiting for their `ssd_reply`. The reply's `ctx` is a number, not a pointer to
/// memory, so a driver that replies twice or late (breaking R2) reaches an empty slot and is
/// reported, instead of touching freed memory. The number's high half names the driver instance
/// (its HostContext serial), so the report goes to the driver that broke the rule.
enum ReplyTable {
    private enum Slot {
        /// An [async-reply] call: the reply resumes the caller.
        case awaiting(CheckedContinuation<RawReply, Never>)
        /// A [sync-reply] call: the reply is stored until the call returns.
        case collecting(RawReply?)
    }

    private static let slots = Mutex<[UInt: Slot]>([:])
    private static let nextCall = Atomic<UInt32>(1)

    /// Registers an [async-reply] call and returns the `ssd_reply` the driver must answer.
    static func awaiting(_ continuation: CheckedContinuation<RawReply, Never>, for owner: HostContext) -> ssd_reply {
        reply(for: insert(.awaiting(continuation), owner))
    }

    /// Registers a [sync-reply] call; `finishSync` takes its reply after the call returned.
    static func beginSync(for owner: HostContext) -> (reply: ssd_reply, id: UInt) {
        let id = insert(.collecting(nil), owner)
        return (reply(for: id), id)
    }

    /// The reply a [sync-reply] call gave before returning, if any. Later replies are strays.
    static func finishSync(_ id: UInt) -> RawReply? {
        guard case .collecting(let reply)? = slots.withLock({ $0.removeValue(forKey: id) }) else { return nil }
        return reply
    }

    private static func insert(_ slot: Slot, _ owner: HostContext) -> UInt {
        let call = nextCall.wrappingAdd(1, ordering: .relaxed).oldValue
        let id = UInt(owner.serial) << 32 | UInt(call == 0 ? 1 : call)
        slots.withLock { $0[id] = slot }
        return id
    }

    private static func reply(for id: UInt) -> ssd_reply {
        ssd_reply(fn: hostReply, ctx: UnsafeMutableRawPointer(bitPattern: id))
    }

    fileprivate static func deliver(_ id: UInt, _ reply: RawReply) {
        let continuation: CheckedContinuation<RawReply, Never>?? = slots.withLock { slots in
            switch slots[id] {
            case .awaiting(let continuation)?:
                slots[id] = nil
                return .some(continuation)
            case .collecting(nil)?:
                slots[id] = .collecting(reply)
                return .some(nil)
            default:
                return nil
            }
        }
        guard let continuation else {
            let message = "a reply came for an operation that already had its reply, or after a [sync-reply] call returned (R2)"
            if let owner = HostContext.registered(serial: UInt32(truncatingIfNeeded: id >> 32)) {
                owner.violation(message)
            } else {
                HostLog.driverBug(message)
            }
            return
        }
        continuation?.resume(returning: reply)
    }
}

/// The host side of every `ssd_reply`: copies the borrowed bytes (R1) and hands them over.
private func hostReply(_ ctx: UnsafeMutableRawPointer?, _ status: ssd_status, _ json: UnsafePointer<CChar>?, _ length: Int) {
    ReplyTable.deliver(UInt(bitPattern: ctx), RawReply(status: DriverStatusCode(abiValue: status), json: copyBytes(json, length)))
}

/// Copies a borrowed (pointer, length) view.
func copyBytes<T>(_ pointer: UnsafePointer<T>?, _ count: Int) -> [UInt8] {
    guard let pointer, count > 0 else { return [] }
    return UnsafeRawPointer(pointer).withMemoryRebound(to: UInt8.self, capacity: count) {
        Array(UnsafeBufferPointer(start: $0, count: count))
    }
}
