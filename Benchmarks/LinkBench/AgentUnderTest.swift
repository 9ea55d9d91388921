import AgentHost
import BenchSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging

/// The real path: the dev control plane (wss) sends commands to an agent with the mock driver
/// in this process; latency is from the command's send to its `complete` arriving.
struct AgentUnderTest: Sendable {
    let controlPlane: DevControlPlane
    let driver: Driver
    let link: AgentLink
    let task: Task<Void, any Error>
    let agentID = "bench-agent"
    static let sessions = 64

    static func start(buildDirectory: String, pki: Certificates) async throws -> AgentUnderTest {
        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = true
        configuration.tls = .init(certificateFile: pki.certificate, privateKeyFile: pki.key)
        configuration.maxCommands = 200_000
        var quiet = Logger(label: "dev-control-plane")
        quiet.logLevel = .error
        let controlPlane = DevControlPlane(configuration: configuration, logger: quiet)
        let endpoints = try await controlPlane.start()
        let driver = try await Driver.create(try DriverLibrary.load(path: buildDirectory + "/libmock.so"), logger: quiet)
        var link = LinkConfiguration(controlPlaneURL: "wss://localhost:\(endpoints.agentPort)", agentID: "bench-agent",
                                     apiKey: configuration.apiKey, platform: "docker", region: "bench",
                                     capacity: .init(maxSessions: 1000, cpu: "2", memory: "8Gi"))
        link.tls.caFile = pki.certificate
        let agentLink = AgentLink(configuration: link, driver: driver, logger: quiet)
        let task = Task { try await agentLink.run() }
        let bench = AgentUnderTest(controlPlane: controlPlane, driver: driver, link: agentLink, task: task)
        try await controlPlane.waitFor("connected", timeout: .seconds(30)) { $0.agent("bench-agent")?.connected == true }
        for index in 0..<sessions {
            _ = try await driver.start(SessionSpec(id: sessionID(index), user: "bench",
                                                   template: .init(image: "busybox", ports: [.init(name: "vnc", port: 3000)])))
        }
        return bench
    }

    static func sessionID(_ index: Int) -> String { "bench-session-\(index)" }

    /// A wake of a running session: the cheapest full command (driver call, status, complete).
    func command(sessionIndex: Int) -> OutgoingCommand {
        OutgoingCommand(action: "wake_session", payload: .object(["sessionId": .string(Self.sessionID(sessionIndex))]))
    }

    /// The command as it travels, for the echo baseline (same size on the wire).
    func commandMessage(sessionIndex: Int) -> String {
        Message(type: "command", payload: Command(commandId: "cmd-0123456789abcdef", action: "wake_session",
                                                   payload: command(sessionIndex: sessionIndex).payload).json).encoded()
    }

    func roundTrips(count: Int) async throws -> Latencies {
        var samples: [Double] = []
        for index in 0..<count {
            let start = ContinuousClock.now
            let id = try await controlPlane.send(action: "wake_session", payload: command(sessionIndex: index % Self.sessions).payload, to: agentID)
            _ = await controlPlane.result(ofCommand: id)
            samples.append(microseconds(since: start))
        }
        return Latencies(microseconds: samples)
    }

    func throughput(inFlight: Int, rounds: Int) async throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<rounds {
            let ids = try await controlPlane.send(commands: (0..<inFlight).map { command(sessionIndex: $0 % Self.sessions) }, to: agentID)
            for id in ids { _ = await controlPlane.result(ofCommand: id) }
        }
        return Double(inFlight * rounds) / (microseconds(since: start) / 1e6)
    }

    /// The same agent path measured through a lean Control Plane instead of the dev one.
    /// The one-at-a-time latencies, and the best throughput of `runs`.
    /// With `stateDirectory`, the agent keeps its command journal there (fsync'd), as an agent
    /// run by root does by default.
    static func measureLean(buildDirectory: String, pki: Certificates, sequential: Int, inFlight: Int, rounds: Int,
                            runs: Int, stateDirectory: String? = nil) async throws -> (Latencies, Double) {
        let server = try await LeanControlPlane.start(certificate: pki.certificate, key: pki.key)
        var quiet = Logger(label: "lean")
        quiet.logLevel = .error
        let driver = try await Driver.create(try DriverLibrary.load(path: buildDirectory + "/libmock.so"), logger: quiet)
        var link = LinkConfiguration(controlPlaneURL: "wss://localhost:\(server.port)", agentID: "lean-agent",
                                     apiKey: String(repeating: "a", count: 64), platform: "docker", region: "bench",
                                     capacity: .init(maxSessions: 1000, cpu: "2", memory: "8Gi"))
        link.tls.caFile = pki.certificate
        link.stateDirectory = stateDirectory
        let agentLink = AgentLink(configuration: link, driver: driver, logger: quiet)
        let task = Task { try await agentLink.run() }
        while !server.isConnected { try await Task.sleep(for: .milliseconds(5)) }
        for index in 0..<sessions {
            _ = try await driver.start(SessionSpec(id: "lean-\(index)", user: "bench",
                                                   template: .init(image: "busybox", ports: [.init(name: "vnc", port: 3000)])))
        }
        var serial = 0
        func command(_ index: Int) -> Command {
            serial += 1
            return Command(commandId: "cmd-\(serial)", action: "wake_session",
                           payload: .object(["sessionId": .string("lean-\(index % sessions)")]))
        }
        var samples: [Double] = []
        for index in 0..<sequential {
            let start = ContinuousClock.now
            try await server.run([command(index)])
            samples.append(microseconds(since: start))
        }
        var throughput = 0.0
        for _ in 0..<runs {
            let start = ContinuousClock.now
            for _ in 0..<rounds { try await server.run((0..<inFlight).map { command($0) }) }
            throughput = max(throughput, Double(inFlight * rounds) / (microseconds(since: start) / 1e6))
        }
        task.cancel()
        _ = await task.result
        for index in 0..<sessions { _ = try? await driver.stop(StopRequest(sessionId: "lean-\(index)")) }
        await driver.destroy()
        await server.stop()
        return (Latencies(microseconds: samples), throughput)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        for index in 0..<Self.sessions { _ = try? await driver.stop(StopRequest(sessionId: Self.sessionID(index))) }
        await driver.destroy()
        await controlPlane.stop()
    }
}
