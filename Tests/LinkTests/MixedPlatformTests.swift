import AgentHost
import AgentTestSupport
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// A mixed-platform host: one agent process with the Docker and the LXD drivers, two agent
/// identities, a real container and a real LXD instance running side by side.
@Suite(.serialized, .enabled(if: DockerTestEnvironment.isAvailable && LXDTestEnvironment.isAvailable,
                             "needs Docker and LXD (Scripts/docker-sandbox.sh, Scripts/lxd-sandbox.sh)"))
struct MixedPlatformTests {
    @Test func dockerAndLXDSessionsRunSideBySideUnderOneAgentProcess() async throws {
        let setup = try await ControlPlaneForAgent()
        var environment = setup.environment
        environment["DOCKER_HOST"] = DockerTestEnvironment.host
        environment["LXD_DIR"] = LXDTestEnvironment.directory
        let agent = try AgentProcess(setup.arguments([
            "--driver", "docker", "--driver", "lxd",
            "--driver-config", #"lxd={"hibernate": "stop", "stopTimeoutSeconds": 2}"#,
        ]), environment: environment)
        let dockerAgent = "\(setup.baseID)-docker", lxdAgent = "\(setup.baseID)-lxd"
        try await setup.waitFor("both agents connected", agent) { state in
            [dockerAgent, lxdAgent].allSatisfy { state.agent($0)?.connected == true }
        }
        let registered = await setup.controlPlane.state
        #expect(registered.agent(dockerAgent)?.platform == "docker")
        #expect(registered.agent(lxdAgent)?.platform == "vm")

        var sessions: [(agent: String, id: String)] = []
        for (agentID, image) in [(dockerAgent, DockerTestEnvironment.image), (lxdAgent, LXDTestEnvironment.image)] {
            let created = try await setup.controlPlane.createSession(SessionRequest(
                agentId: agentID, user: "alice", template: "httpd", image: image, port: 8080,
                cpu: "250m", memory: "64Mi", persistentHome: false))
            sessions.append((agentID, created.sessionId))
        }
        defer {
            DockerTestEnvironment.removeLeftovers(ofSessions: sessions.map(\.id))
            LXDTestEnvironment.removeLeftovers(ofSessions: sessions.map(\.id))
        }
        for session in sessions {
            let state = try await setup.waitFor("\(session.id) viewable", agent) { $0.session(session.id)?.viewable == true }
            let url = try #require(state.session(session.id)?.url)
            #expect(try await Probes.fetch(url).contains("streamspace session"))
        }
        // Each session is on its own platform, both at once.
        #expect(try DockerTestEnvironment.containers(ofSession: sessions[0].id) == ["ss-\(sessions[0].id)"])
        #expect(try LXDTestEnvironment.instance(ofSession: sessions[1].id)?["status"] as? String == "Running")
        #expect(try LXDTestEnvironment.instance(ofSession: sessions[0].id) == nil)
        #expect(try DockerTestEnvironment.containers(ofSession: sessions[1].id).isEmpty)

        for session in sessions {
            let stop = try await setup.controlPlane.deleteSession(session.id)
            let command = try await setup.waitForCommand(stop)
            #expect(command.state == .completed, "\(command.error ?? "")")
        }
        try await setup.stopCleanly(agent, [dockerAgent, lxdAgent])
        await setup.controlPlane.stop()
    }
}
