/// How one host's capacity is shared by the drivers of one agent process, each of which reports
/// its own share to the Control Plane: a driver given a figure of its own (`--driver-max-*`)
/// takes it, and the others split what is left of the host's figure (`--max-*`) evenly. The
/// shares never add up to more than the host has.
public enum CapacitySplit {
    public struct Figures: Sendable, Equatable {
        public var sessions: Int
        public var cpuMillicores: Int64
        public var memoryBytes: Int64

        public init(sessions: Int, cpuMillicores: Int64, memoryBytes: Int64) {
            self.sessions = sessions
            self.cpuMillicores = cpuMillicores
            self.memoryBytes = memoryBytes
        }
    }

    /// A driver's own figures; nil: its even part of what is left.
    public struct Override: Sendable, Equatable {
        public var sessions: Int?
        public var cpuMillicores: Int64?
        public var memoryBytes: Int64?

        public init(sessions: Int? = nil, cpuMillicores: Int64? = nil, memoryBytes: Int64? = nil) {
            self.sessions = sessions
            self.cpuMillicores = cpuMillicores
            self.memoryBytes = memoryBytes
        }
    }

    /// Each driver's share, in the order given; or every problem, one line each.
    public static func split(host: Figures, drivers: [String],
                             overrides: [String: Override]) -> Result<[Figures], CapacitySplitError> {
        var problems: [String] = []
        let sessions = share(host.sessions, drivers, overrides.mapValues(\.sessions), unit: 1, minimum: 1,
                             flag: "sessions", show: { "\($0)" }, problems: &problems)
        let cpu = share(host.cpuMillicores, drivers, overrides.mapValues(\.cpuMillicores), unit: 1, minimum: 1,
                        flag: "cpu", show: formatCPU, problems: &problems)
        // Memory is split in whole MiB, so every share reads as a plain quantity.
        let memory = share(host.memoryBytes, drivers, overrides.mapValues(\.memoryBytes), unit: 1 << 20, minimum: 1 << 20,
                           flag: "memory", show: formatMemory, problems: &problems)
        guard problems.isEmpty else { return .failure(CapacitySplitError(problems: problems)) }
        return .success(drivers.indices.map { Figures(sessions: Int(sessions[$0]), cpuMillicores: cpu[$0], memoryBytes: memory[$0]) })
    }

    /// One figure's shares: overrides as given, the rest split evenly (in `unit`s, the remainder
    /// going to the first drivers).
    private static func share<T: BinaryInteger>(_ total: T, _ drivers: [String], _ overrides: [String: T?], unit: T, minimum: T,
                                                flag: String, show: (T) -> String, problems: inout [String]) -> [Int64] {
        let given = drivers.map { overrides[$0] ?? nil }
        let taken = given.compactMap { $0 }.reduce(0, +)
        if taken > total {
            let parts = zip(drivers, given).compactMap { name, value in value.map { "\(name) \(show($0))" } }
            problems.append("--driver-max-\(flag): the drivers' own figures add up to \(show(taken)) (\(parts.joined(separator: ", "))), more than this host's \(show(total)) (--max-\(flag))")
            return drivers.map { _ in 0 }
        }
        let open = drivers.indices.filter { given[$0] == nil }
        guard !open.isEmpty else { return given.map { Int64($0!) } }
        let units = (total - taken) / unit
        let each = units / T(open.count), extra = units % T(open.count)
        var result = given.map { Int64($0 ?? 0) }
        for (position, index) in open.enumerated() {
            result[index] = Int64((each + (T(position) < extra ? 1 : 0)) * unit)
        }
        if let starved = open.first(where: { result[$0] < Int64(minimum) }) {
            problems.append("--max-\(flag) \(show(total)) leaves no share for driver \(drivers[starved]) once the others take theirs: raise --max-\(flag), or give it --driver-max-\(flag) \(drivers[starved])=…")
        }
        return result
    }

    /// "2" for whole cores, "1500m" otherwise: quantities the Control Plane reads.
    public static func formatCPU<T: BinaryInteger>(_ millicores: T) -> String {
        millicores % 1000 == 0 ? "\(millicores / 1000)" : "\(millicores)m"
    }

    /// "4Gi", "1536Mi", or plain bytes.
    public static func formatMemory<T: BinaryInteger>(_ bytes: T) -> String {
        if bytes > 0, bytes % (1 << 30) == 0 { return "\(bytes >> 30)Gi" }
        return bytes % (1 << 20) == 0 ? "\(bytes >> 20)Mi" : "\(bytes)"
    }
}

public struct CapacitySplitError: Error, Sendable, Equatable {
    public var problems: [String]
}
