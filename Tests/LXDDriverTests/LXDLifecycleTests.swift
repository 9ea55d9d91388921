import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// An LXD session through its whole life as the Control Plane drives it.
@Suite(.serialized, lxdTrait) struct LXDLifecycleTests {
    @Test func startURLHibernateWakeStopThroughTheControlPlane() async throws {
        let harness = try await LinkHarness.connected(driverName: "lxd", driverConfig: #"{"hibernate": "stop", "stopTimeoutSeconds": 2}"#)
        let created = try await harness.controlPlane.createSession(SessionRequest(
            agentId: harness.agentID, user: "alice", template: "httpd", image: LXDTestEnvironment.image, port: 8080,
            cpu: "250m", memory: "64Mi", persistentHome: true))
        let id = created.sessionId
        defer { LXDTest.cleanUp([id]) }
        _ = try await harness.waitForCommand(created.commandId, .completed)
        let running = try await harness.waitFor("session viewable") { $0.session(id)?.viewable == true }
        let session = try #require(running.session(id))
        #expect(session.vncReady && session.vncPort == 8080)
        let instance = try #require(try LXDTestEnvironment.instance(ofSession: id)?["name"] as? String)
        #expect(session.platformMetadata?["workloadName"] == .string(instance))
        #expect(try await Probes.fetch(try #require(session.url)).contains("streamspace session"))
        _ = try LXDTest.exec(instance, "echo kept-across-hibernation > /config/keep.txt")

        let hibernate = try await harness.controlPlane.hibernate(sessionId: id)
        _ = try await harness.waitForCommand(hibernate, .completed)
        #expect(await harness.controlPlane.state.session(id)?.state == "hibernated")
        #expect(try LXDTestEnvironment.instance(ofSession: id)?["status"] as? String == "Stopped")

        let wake = try await harness.controlPlane.wake(sessionId: id)
        _ = try await harness.waitForCommand(wake, .completed)
        let woken = try await harness.waitFor("viewable again") { $0.session(id)?.state == "running" && $0.session(id)?.viewable == true }
        #expect(try await Probes.fetch(try #require(woken.session(id)?.url) + "/keep.txt").contains("kept-across-hibernation"))

        let stop = try await harness.controlPlane.deleteSession(id)
        _ = try await harness.waitForCommand(stop, .completed)
        #expect(await harness.controlPlane.state.session(id)?.state == "terminated")
        #expect(try LXDTestEnvironment.instance(ofSession: id) == nil)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}
