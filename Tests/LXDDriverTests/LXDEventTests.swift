import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

/// LXD's lifecycle events reach the Control Plane at once: the agent's own periodic look is an
/// hour away here, so only the driver's event stream (/1.0/events) can report these.
@Suite(.serialized, lxdTrait) struct LXDEventTests {
    static let config = #"{"hibernate": "stop", "stopTimeoutSeconds": 2}"#

    static func startSession(_ harness: LinkHarness) async throws -> (id: String, instance: String) {
        let created = try await harness.controlPlane.createSession(SessionRequest(
            agentId: harness.agentID, user: "alice", template: "httpd", image: LXDTestEnvironment.image, port: 8080,
            cpu: "250m", memory: "64Mi"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        try await harness.waitFor("running") { $0.session(created.sessionId)?.state == "running" }
        let instance = try #require(try LXDTestEnvironment.instance(ofSession: created.sessionId)?["name"] as? String)
        return (created.sessionId, instance)
    }

    @Test func anInstanceStoppedStartedOrDeletedByHandIsReportedAtOnceByItsEvent() async throws {
        let harness = try await LinkHarness.connected(driverName: "lxd", driverConfig: Self.config,
                                                      configureLink: { $0.refreshInterval = .seconds(3600) })
        let (id, instance) = try await Self.startSession(harness)
        defer { LXDTest.cleanUp([id]) }
        #expect(harness.driver.capabilities.contains(.sessionEvents))

        try LXDTestEnvironment.lxcOutput(["stop", "--force", instance])
        let stopped = try await harness.waitFor("the stop reported", timeout: .seconds(10)) { $0.session(id)?.state == "failed" }
        let message = stopped.session(id)?.platformMetadata?["message"]?.stringValue ?? ""
        #expect(message.contains("stopped, and not by the agent"), "\(message)")

        try LXDTestEnvironment.lxcOutput(["start", instance])
        try await harness.waitFor("running again", timeout: .seconds(10)) { $0.session(id)?.state == "running" }

        try LXDTestEnvironment.lxcOutput(["delete", "--force", instance])
        try await harness.waitFor("the deletion reported", timeout: .seconds(10)) { $0.session(id)?.state == "terminated" }
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    /// The events of the agent's own work (a hibernate stops the instance; a stop stops and
    /// deletes it) are the command's to report: none reaches the Control Plane as a failure.
    @Test func theEventsOfACommandsOwnStepsAreNotReportedAsFailures() async throws {
        let harness = try await LinkHarness.connected(driverName: "lxd", driverConfig: Self.config,
                                                      configureLink: { $0.refreshInterval = .seconds(3600) })
        let (id, _) = try await Self.startSession(harness)
        defer { LXDTest.cleanUp([id]) }
        try await harness.expectOwnStepsReportedByTheirCommandsOnly(id)
        await harness.shutdown()
    }

    /// Instances that are not the driver's (no StreamSpace keys) never reach the Control Plane.
    @Test func anotherInstancesEventsAreIgnored() async throws {
        let harness = try await LinkHarness.connected(driverName: "lxd", driverConfig: Self.config,
                                                      configureLink: { $0.refreshInterval = .seconds(3600) })
        let name = "ss-stranger-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        defer { _ = try? LXDTestEnvironment.lxc(["delete", "--force", name]) }
        try LXDTestEnvironment.lxcOutput(["launch", LXDTestEnvironment.image, name])
        try LXDTestEnvironment.lxcOutput(["delete", "--force", name])
        try await Task.sleep(for: .seconds(1))
        let sessionName = String(name.dropFirst(3))
        #expect(await harness.controlPlane.state.session(sessionName) == nil)
        #expect(!harness.logs.all.contains { $0.contains(sessionName) && $0.contains("is now") }, "\(harness.logs.all)")
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}
