import DriverModel
@testable import KubernetesDriver
import Testing

/// Pods as the API server returns them (the captured running pod; the failing ones derived from
/// it by make-fixtures.py), read as session states.
@Suite struct PodStateTests {
    static func pod(_ file: String) throws -> PodState { try #require(PodState(pod: try KubeFixtures.json(file))) }
    static let deployment: JSONValue = .object([
        "metadata": .object(["annotations": .object(["streamspace.io/ports": .string("vnc=3000/tcp")])]),
        "spec": .object(["replicas": .int(1)]),
    ])

    func status(_ pods: [PodState], deployment: JSONValue = deployment) -> SessionStatus {
        SessionView(sessionID: "demo-firefox-1a2b3c4d", deployment: deployment, pods: pods, namespace: "streamspace")
            .status { $0.ip }
    }

    @Test func theCapturedRunningPodIsRunningWithItsEndpoint() throws {
        let items = try #require(try KubeFixtures.json("pods-list-running.json")["items"]?.arrayValue)
        let pod = try #require(PodState(pod: items[0]))
        #expect(pod.ready)
        #expect(pod.failure == nil)
        #expect(pod.sessionID == "demo-firefox-1a2b3c4d")
        let status = status([pod])
        #expect(status.state == .running)
        #expect(status.endpoints == [Endpoint(name: "vnc", port: 3000, url: "http://127.0.0.1:3000")])
        #expect(status.platformMetadata["podName"] == .string("ss-demo-1-84f9c8ff9-qc986"))
        #expect(status.platformMetadata["podIP"] == .string("127.0.0.1"))
    }

    @Test func failuresCarryKubernetesReason() throws {
        let cases = [
            ("pod-image-pull-backoff.json", "ImagePullBackOff: Back-off pulling image"),
            ("pod-err-image-pull.json", "ErrImagePull: failed to pull"),
            ("pod-crash-loop.json", "CrashLoopBackOff: the container exited with code 1, 4 times (back-off 40s"),
            ("pod-oom-killed.json", "OOMKilled: the session ran out of memory"),
            ("pod-unschedulable.json", "Unschedulable: 0/3 nodes are available: 3 Insufficient memory"),
        ]
        for (file, expected) in cases {
            let status = status([try Self.pod(file)])
            #expect(status.state == .failed, "\(file)")
            #expect(status.message?.contains(expected) == true, "\(file): \(status.message ?? "nil")")
            #expect(status.message?.hasPrefix("pod ss-demo-1-84f9c8ff9-qc986: ") == true)
        }
        let unschedulable = KubernetesDriver.startFailure("s", status([try Self.pod("pod-unschedulable.json")]))
        #expect(unschedulable.code == .resourceExhausted)
        #expect(KubernetesDriver.startFailure("s", status([try Self.pod("pod-image-pull-backoff.json")])).code == .failedPrecondition)
    }

    @Test func aContainerBeingCreatedIsStarting() throws {
        #expect(status([try Self.pod("pod-pending-creating.json")]).state == .starting)
        #expect(status([]).state == .starting)
    }

    /// `kubectl delete pod` on a real kube-apiserver: a MODIFIED event sets deletionTimestamp
    /// while the pod still says Ready (the kubelet has not stopped it yet). Nothing should be
    /// sent to it any more: the session is starting, without endpoints, from that event on.
    @Test func aPodBeingDeletedNoLongerServesTheSession() throws {
        let events = try KubeFixtures.lines("watch-pods-bookmarks.jsonl").compactMap(WatchEvent.init(line:))
        let running = try #require(events[1].pod)
        let terminating = try #require(events[2].pod)
        #expect(events[2].kind == .modified && terminating.deleting && terminating.ready)
        #expect(status([running]).state == .running)
        let status = status([terminating])
        #expect(status.state == .starting)
        #expect(status.endpoints.isEmpty)
        // The ReplicaSet's replacement, not yet Ready, speaks for the session beside it.
        var replacement = try Self.pod("pod-pending-creating.json")
        replacement.name = "ss-demo-1-84f9c8ff9-new01"
        let both = self.status([terminating, replacement])
        #expect(both.state == .starting)
        #expect(both.platformMetadata["podName"] == .string("ss-demo-1-84f9c8ff9-new01"))
    }

    @Test func scaledToZeroIsHibernated() throws {
        let hibernated: JSONValue = .object(["spec": .object(["replicas": .int(0)])])
        #expect(status([], deployment: hibernated).state == .hibernated)
        // The real Scale answer to a patch to 0 omits replicas (omitempty): the driver reads the
        // Deployment, whose replicas is a pointer and says 0, never the Scale answer.
        let scale = try KubeFixtures.json("scale-patch-answer.json")
        #expect(scale["kind"] == .string("Scale"))
        #expect(scale["spec"]?["replicas"] == nil)
    }

    @Test func theCapturedWatchStreamReadsInOrder() throws {
        let events = try KubeFixtures.lines("watch-pods-bookmarks.jsonl").compactMap(WatchEvent.init(line:))
        #expect(events.map(\.kind) == [.added, .modified, .modified, .deleted, .bookmark, .bookmark])
        #expect(events.map(\.resourceVersion) == ["453", "457", "470", "471", "471", "471"])
        #expect(events[0].pod != nil)
        #expect(events[4].pod == nil)
        let expired = try #require(try KubeFixtures.lines("watch-too-old-410.jsonl").compactMap(WatchEvent.init(line:)).first)
        #expect(expired.kind == .expired)
        #expect(WatchEvent(line: Array("{not json".utf8)) == nil)
    }
}
