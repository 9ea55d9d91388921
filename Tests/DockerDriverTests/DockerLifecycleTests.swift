import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// A Docker session through its whole life as the Control Plane drives it: the dev control
/// plane (as strict as the real server), the agent, the Docker driver, the real Docker Engine.
@Suite(.serialized, dockerTrait) struct DockerLifecycleTests {
    @Test func startURLHibernateWakeStopThroughTheControlPlane() async throws {
        let harness = try await LinkHarness.connected(driverName: "docker")

        let created = try await harness.controlPlane.createSession(SessionRequest(
            agentId: harness.agentID, user: "alice", template: "httpd", image: DockerTest.image, port: 8080,
            cpu: "250m", memory: "64Mi", persistentHome: true))
        let id = created.sessionId
        defer { DockerTest.cleanUp([id]) }
        let container = "ss-\(id)"
        _ = try await harness.waitForCommand(created.commandId, .completed)
        let running = try await harness.waitFor("session viewable") { $0.session(id)?.viewable == true }
        let session = try #require(running.session(id))
        #expect(session.state == "running" && session.vncReady && session.vncPort == 8080)
        #expect(session.platformMetadata?["workloadName"] == .string(container))
        let url = try #require(session.url)
        #expect(try await Probes.fetch(url).contains("streamspace session"))

        // Something the user keeps in their home.
        _ = try DockerTest.exec(container, "echo kept-across-hibernation > /config/keep.txt")

        let hibernate = try await harness.controlPlane.hibernate(sessionId: id)
        _ = try await harness.waitForCommand(hibernate, .completed)
        #expect(await harness.controlPlane.state.session(id)?.state == "hibernated")
        #expect(try DockerTest.isRunning("\(container).Hibernated") == false)
        #expect(try DockerTestEnvironment.inspect(container) == nil)

        let wake = try await harness.controlPlane.wake(sessionId: id)
        _ = try await harness.waitForCommand(wake, .completed)
        let woken = try await harness.waitFor("session viewable again") {
            $0.session(id)?.state == "running" && $0.session(id)?.viewable == true
        }
        #expect(try DockerTest.isRunning(container) == true)
        let newURL = try #require(woken.session(id)?.url)
        #expect(try await Probes.fetch(newURL + "/keep.txt").contains("kept-across-hibernation"))

        let stop = try await harness.controlPlane.deleteSession(id)
        _ = try await harness.waitForCommand(stop, .completed)
        #expect(await harness.controlPlane.state.session(id)?.state == "terminated")
        #expect(try DockerTestEnvironment.containers(ofSession: id).isEmpty)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}
