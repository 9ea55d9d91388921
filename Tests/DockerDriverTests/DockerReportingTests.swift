import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// Monitor, Log, Report on a real platform: metrics with the Docker host's real figures, logs
/// on demand (follow, cancel), and the full session list after a reconnect.
@Suite(.serialized, dockerTrait) struct DockerReportingTests {
    func harness() async throws -> LinkHarness {
        try await LinkHarness(driverName: "docker", configureLink: {
            $0.metricsInterval = .seconds(1)
            $0.firstMetricsDelay = .milliseconds(100)
            $0.syncInterval = .seconds(1)
        })
    }

    func startSession(_ harness: LinkHarness) async throws -> String {
        let created = try await harness.controlPlane.createSession(SessionRequest(
            agentId: harness.agentID, user: "alice", template: "httpd", image: DockerTest.image, port: 8080,
            cpu: "250m", memory: "64Mi", persistentHome: false))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        return created.sessionId
    }

    @Test func metricsCarryTheDockerHostsRealFiguresAndEverySessionsUse() async throws {
        let harness = try await harness()
        harness.startAgent()
        try await harness.waitUntilConnected()
        let id = try await startSession(harness)
        defer { DockerTest.cleanUp([id]) }
        let agentID = harness.agentID
        let state = try await harness.waitFor("metrics with the session") { state in
            state.metrics.first { $0.agentId == agentID }?.payload["sessions"]?.arrayValue?
                .contains { $0["sessionId"]?.stringValue == id } == true
        }
        let payload = try #require(state.metrics.first { $0.agentId == agentID }?.payload)
        let node = try #require(payload["node"])
        #expect((node["cpuCores"]?.numberValue ?? 0) >= 1)
        #expect((node["memoryBytes"]?.intValue ?? 0) > 0 && (node["memoryUsedBytes"]?.intValue ?? 0) > 0)
        #expect((node["diskBytes"]?.intValue ?? 0) > 0 && (node["diskUsedBytes"]?.intValue ?? 0) > 0)
        let session = try #require(payload["sessions"]?.arrayValue?.first { $0["sessionId"]?.stringValue == id })
        #expect(session["memoryBytes"]?.intValue == 64 << 20)
        #expect((session["memoryUsedBytes"]?.intValue ?? 0) > 0)
        #expect(payload["health"]?["status"]?.stringValue == "healthy")
        // Heartbeats count the running sessions (other tests may share this Docker).
        #expect((state.agent(agentID)?.activeSessions ?? 0) >= 1)
        _ = try await harness.waitForCommand(try await harness.controlPlane.deleteSession(id), .completed)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    @Test func aFollowedLogDeliversLinesWrittenAfterItOpenedAndCancelEndsIt() async throws {
        let harness = try await harness()
        harness.startAgent()
        try await harness.waitUntilConnected()
        let id = try await startSession(harness)
        defer { DockerTest.cleanUp([id]) }

        // Tail: the lines the image printed as it started, on stdout and stderr.
        let tail = try await harness.controlPlane.requestLogs(sessionId: id, LogsRequest(follow: false))
        let ended = try await harness.waitFor("tail ended") { $0.logStream(tail)?.ended == true }
        let tailText = ended.logStream(tail)?.chunks.map(\.data).joined() ?? ""
        #expect(tailText.contains("session starting (stdout)") && tailText.contains("session starting (stderr)"))
        #expect(ended.logStream(tail)?.reason == "completed")

        let follow = try await harness.controlPlane.requestLogs(sessionId: id, LogsRequest(follow: true, tailLines: 0))
        try await Task.sleep(for: .milliseconds(500))
        let marker = "written-after-open-\(UInt32.random(in: 0...UInt32.max))"
        _ = try DockerTest.exec("ss-\(id)", "echo \(marker) > /proc/1/fd/1")
        try await harness.waitFor("the new line arrived") { state in
            state.logStream(follow)?.chunks.contains { $0.data.contains(marker) } == true
        }
        await harness.controlPlane.cancelLogs(requestId: follow)
        let cancelled = try await harness.waitFor("follow ended") { $0.logStream(follow)?.ended == true }
        #expect(cancelled.logStream(follow)?.reason == "cancelled")
        let seqs = cancelled.logStream(follow)?.chunks.map(\.seq) ?? []
        #expect(seqs == Array(1...max(1, seqs.count)).prefix(seqs.count).map { $0 }, "seq counts 1, 2, 3…")
        try await Task.sleep(for: .milliseconds(300))
        #expect(harness.link.activeLogStreams == 0)
        _ = try await harness.waitForCommand(try await harness.controlPlane.deleteSession(id), .completed)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    @Test func afterAReconnectTheSyncListsExactlyTheSessionsThatExist() async throws {
        let harness = try await harness()
        harness.startAgent()
        try await harness.waitUntilConnected()
        let kept = try await startSession(harness), removed = try await startSession(harness)
        defer { DockerTest.cleanUp([kept, removed]) }
        let agentID = harness.agentID
        try await harness.waitFor("a first sync with both") { state in
            let ids = state.sessionSyncs.first { $0.agentId == agentID }?.sessions.arrayValue?.compactMap { $0["sessionId"]?.stringValue }
            return Set(ids ?? []).isSuperset(of: [kept, removed])
        }

        // The link drops; meanwhile someone removes a container by hand.
        try await harness.controlPlane.disconnect(agentId: agentID)
        try DockerTestEnvironment.dockerOutput(["rm", "-f", "ss-\(removed)"])
        let state = try await harness.waitFor("a sync without the removed session", timeout: .seconds(30)) { state in
            guard let sync = state.sessionSyncs.first(where: { $0.agentId == agentID }), sync.count >= 2 else { return false }
            let ids = sync.sessions.arrayValue?.compactMap { $0["sessionId"]?.stringValue } ?? []
            return ids.contains(kept) && !ids.contains(removed)
        }
        let sync = try #require(state.sessionSyncs.first { $0.agentId == agentID })
        let entries = sync.sessions.arrayValue ?? []
        let ours = entries.filter { [kept, removed].contains($0["sessionId"]?.stringValue ?? "") }
        #expect(ours.count == 1)
        #expect(ours.first?["state"]?.stringValue == "running")
        #expect(ours.first?["endpoints"]?.arrayValue?.first?["url"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        #expect(ours.first?["platformMetadata"]?["workloadName"]?.stringValue == "ss-\(kept)")
        // …and the removed one is reported gone.
        let gone = try await harness.waitFor("removed session terminated") { $0.session(removed)?.state == "terminated" }
        #expect(gone.session(kept)?.state == "running")
        _ = try await harness.waitForCommand(try await harness.controlPlane.deleteSession(kept), .completed)
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    /// Docker's events reach the Control Plane at once: the agent's own periodic look is an hour
    /// away here, so only the driver's event stream can report these.
    @Test func aContainerKilledOrRemovedByHandIsReportedAtOnceByItsEvent() async throws {
        let harness = try await LinkHarness.connected(driverName: "docker", configureLink: { $0.refreshInterval = .seconds(3600) })
        let id = try await startSession(harness)
        defer { DockerTest.cleanUp([id]) }
        try DockerTestEnvironment.dockerOutput(["kill", "ss-\(id)"])
        let state = try await harness.waitFor("the death reported", timeout: .seconds(10)) { $0.session(id)?.state == "failed" }
        let message = state.session(id)?.platformMetadata?["message"]?.stringValue ?? ""
        #expect(message.contains("exited with code 137"), "\(message)")
        try DockerTestEnvironment.dockerOutput(["start", "ss-\(id)"])
        try await harness.waitFor("running again", timeout: .seconds(10)) { $0.session(id)?.state == "running" }
        try DockerTestEnvironment.dockerOutput(["rm", "-f", "ss-\(id)"])
        try await harness.waitFor("the removal reported", timeout: .seconds(10)) { $0.session(id)?.state == "terminated" }
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    /// The events of the agent's own work (a hibernate stops the container; a stop stops and
    /// removes it) are the command's to report: none reaches the Control Plane as a failure.
    @Test func theEventsOfACommandsOwnStepsAreNotReportedAsFailures() async throws {
        let harness = try await LinkHarness.connected(driverName: "docker", configureLink: { $0.refreshInterval = .seconds(3600) })
        let id = try await startSession(harness)
        defer { DockerTest.cleanUp([id]) }
        try await harness.expectOwnStepsReportedByTheirCommandsOnly(id)
        await harness.shutdown()
    }
}
