import ControlPlaneProtocol
import DriverModel
import Logging
import PlatformKit

/// The `metrics` message, every metrics interval: node figures (the driver's; for a driver
/// without them, this host's own /proc and statfs), every running session's CPU and memory,
/// and the health of agent and driver. Collected off the link's loops: a slow platform delays
/// the metrics, never a heartbeat.
struct MetricsReporter: Sendable {
    let driver: Driver
    let cache: SessionCache
    let outbox: Outbox
    let logger: Logger
    let host = HostResources()
    /// Session metrics calls in flight at once.
    static let parallelCalls = 8

    func report() async {
        for message in AgentMessage.metrics(node: await node(), sessions: await sessions(), health: await health()) {
            outbox.send(message)
        }
    }

    private func node() async -> NodeMetrics {
        if driver.capabilities.contains(.nodeMetrics) {
            do {
                return try await driver.nodeMetrics()
            } catch {
                logger.warning("node metrics from the driver failed: \(error); reporting this host's own")
            }
        }
        let memory = HostResources.memory()
        let disk = HostResources.disk(at: "/") ?? (0, 0)
        return NodeMetrics(cpuCores: host.cpuCores, cpuUsedCores: await host.cpuUsedCores(),
                           memoryBytes: memory.total, memoryUsedBytes: memory.used,
                           diskBytes: disk.total, diskUsedBytes: disk.used)
    }

    private func sessions() async -> [SessionMetrics] {
        guard driver.capabilities.contains(.sessionMetrics) else { return [] }
        let running = cache.all.filter { $0.state == .running }.map(\.sessionId)
        var results: [SessionMetrics] = []
        await withTaskGroup(of: SessionMetrics?.self) { group in
            var next = running.makeIterator()
            func add() -> Bool {
                guard let id = next.next() else { return false }
                group.addTask { try? await driver.sessionMetrics(id) }
                return true
            }
            for _ in 0..<Self.parallelCalls where !add() { break }
            while let result = await group.next() {
                if let result { results.append(result) }
                _ = add()
            }
        }
        return results.sorted { $0.sessionId < $1.sessionId }
    }

    /// The driver's health stands for the agent's: the agent itself is healthy if it runs.
    private func health() async -> Health {
        let health = await driver.health()
        return Health(health.status, detail: "driver \(driver.description.name): \(health.detail ?? health.status.rawValue)")
    }
}
