import AgentHost
import ControlPlaneProtocol
import DriverModel

/// The capacity each driver's agent reports when several share one host, and the host-wide
/// limit they share (see `CapacitySplit`, `HostCapacity`).
enum DriverCapacities {
    /// - host: --max-sessions, --max-cpu, --max-memory, already checked to be quantities.
    /// - values: the --driver-max-* arguments, NAME being a --driver value or a described name.
    static func resolve(host: AgentMessage.Capacity, values: [NamedValue], drivers: [LoadedDriver],
                        problems: inout [String]) -> (capacities: [AgentMessage.Capacity], limits: HostCapacity.Limits)? {
        guard let cpu = ResourceQuantity.cpuMillicores(host.cpu), let memory = ResourceQuantity.bytes(host.memory) else { return nil }
        let hostFigures = CapacitySplit.Figures(sessions: host.maxSessions, cpuMillicores: cpu, memoryBytes: memory)
        var overrides: [String: CapacitySplit.Override] = [:]
        let before = problems.count
        for value in values {
            guard let loaded = drivers.first(where: { $0.answers(to: value.name) }) else {
                problems.append("\(value.shown): no loaded driver is named \(value.name) (loaded: \(drivers.map(\.shown).joined(separator: ", ")))")
                continue
            }
            var override = overrides[loaded.name] ?? .init()
            switch value.flag {
            case "--driver-max-sessions":
                guard let n = Int(value.value), n >= 1 else {
                    problems.append("\(value.shown): not a whole number of sessions, 1 or more"); continue
                }
                override.sessions = n
            case "--driver-max-cpu":
                guard let millicores = ResourceQuantity.cpuMillicores(value.value), millicores > 0 else {
                    problems.append("\(value.shown): not a CPU quantity (examples: 4, 1500m)"); continue
                }
                override.cpuMillicores = millicores
            default:
                guard let bytes = ResourceQuantity.bytes(value.value), bytes > 0 else {
                    problems.append("\(value.shown): not a memory quantity (examples: 16Gi, 512Mi)"); continue
                }
                override.memoryBytes = bytes
            }
            overrides[loaded.name] = override
        }
        guard problems.count == before else { return nil }
        switch CapacitySplit.split(host: hostFigures, drivers: drivers.map(\.name), overrides: overrides) {
        case .failure(let error):
            problems += error.problems
            return nil
        case .success(let shares):
            let capacities = shares.map {
                AgentMessage.Capacity(maxSessions: $0.sessions, cpu: CapacitySplit.formatCPU($0.cpuMillicores),
                                      memory: CapacitySplit.formatMemory($0.memoryBytes), storage: host.storage)
            }
            return (capacities, .init(sessions: host.maxSessions, cpuMillicores: cpu, memoryBytes: memory))
        }
    }
}
