/// The SSD_CAP_* bits of streamspace_driver.h. Raw values equal the C constants (tested).
public struct DriverCapabilities: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let hibernateMemory = DriverCapabilities(rawValue: 1 << 0)
    public static let hibernateDisk = DriverCapabilities(rawValue: 1 << 1)
    public static let nodeMetrics = DriverCapabilities(rawValue: 1 << 2)
    public static let sessionMetrics = DriverCapabilities(rawValue: 1 << 3)
    public static let logs = DriverCapabilities(rawValue: 1 << 4)
    public static let logsFollow = DriverCapabilities(rawValue: 1 << 5)
    public static let persistentHome = DriverCapabilities(rawValue: 1 << 6)
    public static let sessionEvents = DriverCapabilities(rawValue: 1 << 7)
    public static let nonblockingCalls = DriverCapabilities(rawValue: 1 << 8)

    public static let named: [(name: String, capability: DriverCapabilities)] = [
        ("hibernate-memory", .hibernateMemory), ("hibernate-disk", .hibernateDisk),
        ("node-metrics", .nodeMetrics), ("session-metrics", .sessionMetrics),
        ("logs", .logs), ("logs-follow", .logsFollow),
        ("persistent-home", .persistentHome), ("session-events", .sessionEvents),
        ("nonblocking-calls", .nonblockingCalls),
    ]

    /// Either kind of hibernation.
    public var canHibernate: Bool { !isDisjoint(with: [.hibernateMemory, .hibernateDisk]) }

    /// "memory", "disk" or "none".
    public var hibernateKind: String {
        contains(.hibernateMemory) ? "memory" : contains(.hibernateDisk) ? "disk" : "none"
    }

    public var names: [String] {
        var result = Self.named.filter { contains($0.capability) }.map(\.name)
        let unknown = rawValue & ~Self.named.reduce(0) { $0 | $1.capability.rawValue }
        if unknown != 0 { result.append("unknown(0x\(String(unknown, radix: 16)))") }
        return result
    }

    public var description: String { names.isEmpty ? "none" : names.joined(separator: ", ") }
}
