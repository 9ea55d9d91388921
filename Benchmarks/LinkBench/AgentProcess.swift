import BenchSupport
import DevControlPlane
import Foundation
import Glibc
import Logging

/// The agent as operators run it: its own process, `agent run --driver mock`.
struct AgentProcess {
    var idleSeconds = 20
    var rssMiB = ""
    var memoryBreakdown = ""
    var sharing = ""
    var cpuPercent = ""
    var startTimes: [Double] = []
    var startMedianMs: String { String(format: "%.1f", startTimes.sorted()[startTimes.count / 2]) }
    var startBestMs: String { String(format: "%.1f", startTimes.min() ?? 0) }

    static func measure(buildDirectory: String) async throws -> AgentProcess {
        var result = AgentProcess()
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()

        for run in 0..<7 {
            let agentID = "process-agent-\(run)"
            let started = ContinuousClock.now
            let process = try Bench.spawnAgent(buildDirectory, url: endpoints.agentURL, agentID: agentID, key: apiKey,
                                               drivers: ["--driver", "mock"])
            try await controlPlane.waitFor("connected", timeout: .seconds(30), poll: .microseconds(200)) {
                $0.agent(agentID)?.connected == true
            }
            result.startTimes.append(microseconds(since: started) / 1000)
            if run == 0 {
                // Idle: connected, heartbeating, one driver loaded, no sessions.
                try await Task.sleep(for: .seconds(2))
                let cpuBefore = cpuTicks(process.processIdentifier)
                let before = ContinuousClock.now
                try await Task.sleep(for: .seconds(result.idleSeconds))
                let cpuAfter = cpuTicks(process.processIdentifier)
                let wall = microseconds(since: before) / 1e6
                let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
                result.cpuPercent = String(format: "%.3f", Double(cpuAfter - cpuBefore) / ticks / wall * 100)
                result.rssMiB = Bench.mib(Bench.statusKiB(process.processIdentifier, "VmRSS:"))
                result.memoryBreakdown = Bench.memoryBreakdown(process.processIdentifier)
                let pid = process.processIdentifier
                let privateKiB = Bench.smapsKiB(pid, "Private_Clean:") + Bench.smapsKiB(pid, "Private_Dirty:")
                // Code pages are shared with every process that maps the same files (this
                // benchmark maps the Swift runtime too): PSS charges each its share.
                result.sharing = "private to the agent \(Bench.mib(privateKiB)) MiB; PSS \(Bench.mib(Bench.smapsKiB(pid, "Pss:"))) MiB (shared pages split with the processes that map them)"
            }
            process.terminate()
            process.waitUntilExit()
        }
        await controlPlane.stop()
        return result
    }

    static func cpuTicks(_ pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3; utime and stime are fields 14 and 15.
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}
