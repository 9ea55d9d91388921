import BenchSupport
import DevControlPlane
import DriverModel
import Foundation
import Glibc

/// Time from an agent restart after `kill -9` to the true state of 100 Docker sessions reported
/// to the Control Plane: connected, `session_sync` with every session, and a `status` for every
/// session (a tenth of them stopped by hand while the agent was dead, so the true state differs
/// from what the Control Plane last heard for those).
///
/// Run: `.build/release/DockerBench restart [sessions] [rounds]` (needs DOCKER_HOST and the test image).
enum RestartBench {
    static func run(sessions count: Int, rounds: Int, buildDirectory: String, image: String) async throws {
        let (controlPlane, endpoints, apiKey) = try await Bench.controlPlane()
        let agentID = "restartbench-\(getpid())"
        let environment = ProcessInfo.processInfo.environment.filter { $0.key == "DOCKER_HOST" }
        func spawn() throws -> Process {
            try Bench.spawnAgent(buildDirectory, url: endpoints.agentURL, agentID: agentID, key: apiKey,
                                 drivers: ["--driver", "docker"], environment: environment)
        }
        var agent = try spawn()
        try await controlPlane.waitFor("agent connected", timeout: .seconds(30)) { $0.agent(agentID)?.connected == true }

        print("RestartBench: \(count) sessions (image \(image)), \(rounds) rounds of kill -9 and restart")
        let began = ContinuousClock.now
        var ids: [String] = []
        var commands: [String] = []
        for index in 0..<count {
            let created = try await controlPlane.createSession(SessionRequest(
                agentId: agentID, user: "restart\(index)", template: "httpd", image: image, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: false))
            ids.append(created.sessionId)
            commands.append(created.commandId)
        }
        let startCommands = commands
        let started = try await controlPlane.waitFor("\(count) starts", timeout: .seconds(900), poll: .milliseconds(50)) { state in
            startCommands.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        let failedStarts = startCommands.filter { started.command($0)?.state != .completed }.count
        print("   \(count) sessions started in \(String(format: "%.1f", Bench.milliseconds(since: began) / 1000)) s (\(failedStarts) failed)")

        var toConnect: [Double] = [], toSync: [Double] = [], toTruth: [Double] = []
        for round in 0..<rounds {
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
            // While the agent is dead, a tenth of the sessions stop (as a crash or a person would).
            let stopped = Set(ids.enumerated().filter { $0.offset % 10 == round % 10 }.map(\.element))
            for id in stopped { _ = Bench.docker(["stop", "-t", "0", "ss-\(id)"], keepOutput: false) }
            let expected = Dictionary(uniqueKeysWithValues: ids.map { ($0, stopped.contains($0) ? "failed" : "running") })
            let before = await controlPlane.state
            let connections = before.agent(agentID)?.connections ?? 0
            let syncs = before.sessionSyncs.first { $0.agentId == agentID }?.count ?? 0
            let restartedAt = Date().timeIntervalSince1970

            let restart = ContinuousClock.now
            agent = try spawn()
            var connected: Double?, synced: Double?
            while true {
                let state = await controlPlane.state
                if connected == nil, (state.agent(agentID)?.connections ?? 0) > connections, state.agent(agentID)?.connected == true {
                    connected = Bench.milliseconds(since: restart)
                }
                // (The Docker may hold other agents' sessions too: all of ours must be in it.)
                if synced == nil, let sync = state.sessionSyncs.first(where: { $0.agentId == agentID }), sync.count > syncs,
                   Set(ids).isSubset(of: Set(sync.sessions.arrayValue?.compactMap { $0["sessionId"]?.stringValue } ?? [])) {
                    synced = Bench.milliseconds(since: restart)
                }
                // Every session's status since the restart, each with its true state.
                let sessions = Dictionary(state.sessions.map { ($0.sessionId, $0) }, uniquingKeysWith: { $1 })
                let allTrue = ids.allSatisfy { id in
                    guard let session = sessions[id], session.state == expected[id],
                          let updated = RFC3339.parse(session.updatedAt) else { return false }
                    return updated >= restartedAt
                }
                if synced != nil && allTrue { break }
                guard ContinuousClock.now - restart < .seconds(120) else {
                    print("RestartBench: the true state of \(count) sessions was not reported within 120 s")
                    exit(1)
                }
                try await Task.sleep(for: .milliseconds(2))
            }
            toTruth.append(Bench.milliseconds(since: restart))
            toConnect.append(connected ?? 0)
            toSync.append(synced ?? 0)
            // Back to all running for the next round, through the agent.
            var wakes: [String] = []
            for id in stopped {
                wakes.append(try await controlPlane.send(action: "start_session", payload: started.command(
                    startCommands[ids.firstIndex(of: id)!])!.payload, to: agentID))
            }
            let pending = wakes
            _ = try await controlPlane.waitFor("restarted sessions", timeout: .seconds(120)) { state in
                pending.allSatisfy { state.command($0)?.state == .completed }
            }
        }
        print("\n   From the restart (kill -9 → new agent process) to, ms   median     p90    best")
        print(Bench.row("connected", toConnect))
        print(Bench.row("session_sync of all \(count)", toSync))
        print(Bench.row("a true status for all \(count)", toTruth))

        var stops: [String] = []
        for id in ids { stops.append(try await controlPlane.deleteSession(id)) }
        let stopCommands = stops
        _ = try await controlPlane.waitFor("stops", timeout: .seconds(600), poll: .milliseconds(50)) { state in
            stopCommands.allSatisfy { [.completed, .failed].contains(state.command($0)?.state) }
        }
        agent.terminate()
        agent.waitUntilExit()
        await controlPlane.stop()
    }
}
