import AgentHost
import DriverModel
import Testing

/// Sessions whose container dies, on real Docker containers behind the test API server: the
/// start fails with Kubernetes' own reason and the exit, and leaves nothing behind. The images
/// are built by Scripts/docker-sandbox.sh from the session image (a missing one shows here as
/// ErrImagePull naming it).
@Suite(.serialized, kubeTrait) struct KubernetesFailureLiveTests {
    @Test(arguments: [
        ("streamspace-test/crash:1", ["CrashLoopBackOff: the container exited with code 3, 2 times", "back-off 10s"]),
        ("streamspace-test/oom:1", ["OOMKilled: the session ran out of memory"]),
    ])
    func aContainerThatDiesFailsTheStartWithItsReason(_ image: String, _ expected: [String]) async throws {
        let id = KubeTest.sessionID("die")
        let user = "die\(UInt16.random(in: 0...UInt16.max))"
        defer {
            KubeTest.cleanUp([id])
            _ = try? KubeTest.kubectl(["delete", "pvc", "home-\(user)", "--wait=false"])
        }
        let driver = try await KubeTest.loadDriver()
        var spec = try KubernetesLiveTests.spec(id, user: user, persistentHome: true)
        spec.template.image = image
        let error = await #expect(throws: DriverError.self) { try await driver.start(spec) }
        #expect(error?.code == .failedPrecondition, "\(String(describing: error))")
        let message = error?.message ?? ""
        #expect(message.hasPrefix("kubernetes: session \(id) could not start: pod ss-\(id)-"), "\(message)")
        for text in expected { #expect(message.contains(text), "\(message)") }

        // What the start made goes with it: the Deployment (its ReplicaSet and pod by garbage
        // collection), the Service and the home it created.
        var left: [String] = []
        for _ in 0..<40 {
            left = try KubeTest.names("deployment,replicaset,pod,service", selector: "streamspace.io/session=\(id)")
            if try KubeTest.object("pvc", "home-\(user)") != nil { left.append("pvc/home-\(user)") }
            if left.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(left.isEmpty, "a failed start left: \(left)")
        await driver.destroy()
    }
}
