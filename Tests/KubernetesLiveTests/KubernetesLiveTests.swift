import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Synchronization
import Testing

/// The Kubernetes driver through the agent's host runtime, against the test API server, checked
/// with the real kubectl.
@Suite(.serialized, kubeTrait) struct KubernetesLiveTests {
    /// Suites run in parallel and a home is the user's: a suite that keeps one gives its own user.
    static func spec(_ id: String, user: String = "alice", persistentHome: Bool = false, port: Int = 8080) throws -> SessionSpec {
        SessionSpec(id: id, user: user,
                    template: .init(name: "httpd", image: "streamspace-test/httpd:2", env: ["GREETING": "a b $HOME `id`"],
                                    ports: [.init(name: "vnc", port: port)]),
                    resources: try .init(cpu: "250m", memory: "64Mi"), persistentHome: persistentHome)
    }

    @Test func theLifecycleMakesAndRemovesTheObjects() async throws {
        let id = KubeTest.sessionID("life")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        let started = try await driver.start(try Self.spec(id, persistentHome: true))
        #expect(started.state == .running)
        let podName = try #require(started.platformMetadata["podName"]?.stringValue)
        #expect(podName.hasPrefix("ss-\(id)-"))
        #expect(started.platformMetadata["podIP"]?.stringValue != nil)
        #expect(started.endpoints.first?.url?.hasSuffix(":8080") == true)

        let deployment = try #require(try KubeTest.object("deployment", "ss-\(id)"))
        let labels = (deployment["metadata"] as? [String: Any])?["labels"] as? [String: String]
        #expect(labels?["streamspace.io/managed"] == "true")
        #expect(labels?["streamspace.io/session"] == id)
        #expect(labels?["streamspace.io/user"] == "alice")
        let service = try #require(try KubeTest.object("service", id))
        let owners = (service["metadata"] as? [String: Any])?["ownerReferences"] as? [[String: Any]]
        #expect(owners?.first?["kind"] as? String == "Deployment")
        #expect(owners?.first?["uid"] as? String == (deployment["metadata"] as? [String: Any])?["uid"] as? String)
        #expect(try KubeTest.object("pvc", "home-alice") != nil)

        // Repeating a start changes nothing (R6).
        #expect(try await driver.start(try Self.spec(id, persistentHome: true)).state == .running)
        #expect(try await driver.sessions().contains { $0.sessionId == id && $0.state == .running })

        let hibernated = try await driver.hibernate(id)
        #expect(hibernated.state == .hibernated)
        let scaled = try #require(try KubeTest.object("deployment", "ss-\(id)"))
        #expect((scaled["spec"] as? [String: Any])?["replicas"] as? Int == 0)
        #expect(try await driver.wake(id).state == .running)

        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        #expect(try KubeTest.object("deployment", "ss-\(id)") == nil)
        #expect(try KubeTest.object("service", id) == nil)
        #expect(try KubeTest.object("pvc", "home-alice") != nil)  // the home stays
        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)  // again: R6

        // A stop that asks for the volumes removes the user's home with the last session.
        _ = try await driver.start(try Self.spec(id, persistentHome: true))
        #expect(try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true)).state == .terminated)
        #expect(try KubeTest.object("pvc", "home-alice") == nil)
        await #expect(throws: DriverError.self) { try await driver.session(id) }
        await driver.destroy()
    }

    @Test func aServiceMissingAfterACrashIsMadeByTheNextStart() async throws {
        // What an agent killed between the Deployment and the Service leaves: the Deployment alone.
        let id = KubeTest.sessionID("crash")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        _ = try await driver.start(try Self.spec(id))
        try KubeTest.kubectl(["delete", "service", id])
        #expect(try KubeTest.object("service", id) == nil)
        #expect(try await driver.start(try Self.spec(id)).state == .running)
        #expect(try KubeTest.object("service", id) != nil)
        _ = try await driver.stop(StopRequest(sessionId: id))
        // The pod goes by garbage collection after the stop (background propagation): poll.
        var left = try KubeTest.names("deployment,service,pod", selector: "streamspace.io/session=\(id)")
        for _ in 0..<40 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(250))
            left = try KubeTest.names("deployment,service,pod", selector: "streamspace.io/session=\(id)")
        }
        #expect(left.isEmpty, "left after the stop: \(left)")
        await driver.destroy()
    }

    @Test func aDeploymentDeletedByHandReachesTheHostWithinSeconds() async throws {
        let id = KubeTest.sessionID("watch")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        let seen = Mutex<[SessionState]>([])
        driver.onSessionChanged { status in
            if status.sessionId == id { seen.withLock { $0.append(status.state) } }
        }
        _ = try await driver.start(try Self.spec(id))
        let deleted = ContinuousClock.now
        try KubeTest.kubectl(["delete", "deployment", "ss-\(id)", "--wait=false"])
        while !seen.withLock({ $0.contains(.terminated) }), ContinuousClock.now - deleted < .seconds(10) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let delay = ContinuousClock.now - deleted
        #expect(seen.withLock { $0.contains(.terminated) }, "no terminated event within 10 s")
        #expect(delay < .seconds(2), "watch-to-host delay \(delay)")
        await driver.destroy()
    }

    /// `kubectl delete pod`: the session is no longer running as soon as the watch shows its pod
    /// terminating (nothing serves it), not once the ReplicaSet's replacement runs; then it is
    /// running again on the new pod.
    @Test func aPodDeletedByHandIsReportedNotRunningBeforeItsReplacementRuns() async throws {
        let id = KubeTest.sessionID("podgone")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        let seen = Mutex<[SessionStatus]>([])
        driver.onSessionChanged { status in
            if status.sessionId == id { seen.withLock { $0.append(status) } }
        }
        let started = try await driver.start(try Self.spec(id))
        let pod = try #require(started.platformMetadata["podName"]?.stringValue)
        let before = seen.withLock { $0.count }
        try KubeTest.kubectl(["delete", "pod", pod, "--wait=false"])
        func replaced(_ statuses: [SessionStatus]) -> Bool {
            statuses.contains { $0.state == .running && $0.platformMetadata["podName"]?.stringValue != pod }
        }
        let waited = ContinuousClock.now
        while !replaced(seen.withLock({ Array($0.dropFirst(before)) })), ContinuousClock.now - waited < .seconds(60) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let after = seen.withLock { Array($0.dropFirst(before)) }
        let reports = after.map { "\($0.state) \($0.platformMetadata["podName"]?.stringValue ?? "-")" }
        // The watch may still be telling of the start (the old pod running) when the delete goes out.
        let again = try #require(after.firstIndex { $0.state == .running && $0.platformMetadata["podName"]?.stringValue != pod },
                                 "the replacement pod was not reported running: \(reports)")
        let between = after[..<again]
        #expect(between.contains { $0.state == .starting && $0.endpoints.isEmpty },
                "nothing said the session stopped running before the replacement ran: \(reports)")
        #expect(!between.contains { $0.state != .running && $0.state != .starting }, "\(reports)")
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    /// The Deployment deleted by hand, then a stop with deleteVolumes: the home is found by the
    /// session's label on it (nothing else ties it to the session any more) and deleted.
    @Test func aStopWithDeleteVolumesFindsTheHomeOfASessionWhoseDeploymentIsGone() async throws {
        let id = KubeTest.sessionID("homeless"), user = "orphan\(UInt16.random(in: 0...UInt16.max))"
        defer { KubeTest.cleanUp([id]); _ = try? KubeTest.kubectl(["delete", "pvc", "home-\(user)", "--wait=false"]) }
        let driver = try await KubeTest.loadDriver()
        _ = try await driver.start(try Self.spec(id, user: user, persistentHome: true))
        #expect(try KubeTest.object("pvc", "home-\(user)") != nil)
        try KubeTest.kubectl(["delete", "deployment", "ss-\(id)", "--wait=false"])
        #expect(try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true)).state == .terminated)
        #expect(try KubeTest.object("pvc", "home-\(user)") == nil, "the home of a session whose Deployment was gone stayed")
        await driver.destroy()
    }

    @Test func badInputIsRefusedBeforeAnythingIsMade() async throws {
        let id = KubeTest.sessionID("bad")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        let error = await #expect(throws: DriverError.self) { try await driver.start(try Self.spec(id, port: 70000)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("70000") == true)
        #expect(try KubeTest.names("deployment,service", selector: "streamspace.io/session=\(id)").isEmpty)
        await driver.destroy()

        // A namespace that does not exist: the driver says so, naming it.
        let missing = try await KubeTest.loadDriver(config: ["namespace": "no-such-ns"])
        let health = await missing.health()
        #expect(health.status == .unhealthy)
        #expect(health.detail?.contains("no-such-ns") == true)
        await missing.destroy()
    }

    @Test func logsAndMetricsComeFromTheAPI() async throws {
        let id = KubeTest.sessionID("logs")
        defer { KubeTest.cleanUp([id]) }
        let driver = try await KubeTest.loadDriver()
        _ = try await driver.start(try Self.spec(id))
        let node = try await driver.nodeMetrics()
        #expect(node.cpuCores > 0 && node.memoryBytes > 0)
        let stream = driver.openLogs(LogRequest(sessionId: id, tailLines: 10))
        let (_, end) = await stream.collect()
        #expect(end == nil, "\(end?.message ?? "")")
        let badSince = await driver.openLogs(LogRequest(sessionId: id, sinceTime: "yesterday")).collect()
        #expect(badSince.end?.code == .invalidArgument)
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }
}

/// Outside the suite above, which is skipped without a cluster: when Scripts/test.sh requires one
/// (STREAMSPACE_REQUIRE_KUBE=1), its absence fails here instead of skipping everything quietly.
@Suite struct KubeRequirement {
    @Test func theClusterIsHereWhenTheSuiteRequiresIt() {
        #expect(KubeTest.isAvailable || !KubeTest.isRequired, "Scripts/test.sh requires the kube sandbox: \(KubeTest.unavailableReason ?? "")")
    }
}
