import AgentHost
import AgentTestSupport
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// The real agent binary with the Kubernetes driver, linked to a dev control plane, against the
/// test API server (Scripts/kube-sandbox.sh), observed with the admin's kubectl.
private enum Kube {
    static let environment = ProcessInfo.processInfo.environment
    static let kubeconfig = environment["STREAMSPACE_KUBECONFIG"]
    static let admin = environment["STREAMSPACE_KUBE_ADMIN_KUBECONFIG"] ?? kubeconfig
    static let namespace = environment["STREAMSPACE_KUBE_NAMESPACE"] ?? "streamspace"
    static let isRequired = environment["STREAMSPACE_REQUIRE_KUBE"] == "1"
    static var isAvailable: Bool { !(kubeconfig ?? "").isEmpty }

    @discardableResult
    static func kubectl(_ arguments: [String]) throws -> ProcessRunner.Result {
        try ProcessRunner.run("/usr/bin/kubectl", ["-n", namespace] + arguments, environment: ["KUBECONFIG": admin ?? "", "HOME": NSTemporaryDirectory()])
    }

    static func object(_ kind: String, _ name: String) throws -> [String: Any]? {
        let result = try kubectl(["get", kind, name, "-o", "json"])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    /// Everything of the session left on the cluster, by label and by the driver's names.
    /// What is left after a stop, once garbage collection had ten seconds to remove the pods
    /// and replica sets the Deployment owned.
    static func leftoversOnceCollected(_ session: String, user: String) async throws -> [String] {
        var left = try leftovers(session, user: user)
        for _ in 0..<40 where !left.isEmpty {
            try await Task.sleep(for: .milliseconds(250))
            left = try leftovers(session, user: user)
        }
        return left
    }

    static func leftovers(_ session: String, user: String) throws -> [String] {
        let labelled = try kubectl(["get", "deployment,replicaset,pod,service,pvc", "-l", "streamspace.io/session=\(session)", "-o", "name"])
        var left = labelled.stdout.split(separator: "\n").map(String.init)
        if try object("deployment", "ss-\(session)") != nil { left.append("deployment/ss-\(session) (by name)") }
        if try object("service", session) != nil { left.append("service/\(session) (by name)") }
        return left
    }

    /// --driver-config for the agent.
    static func driverConfig(readyTimeout: Int = 60) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: ["kubeconfig": kubeconfig ?? "", "namespace": namespace,
                                                               "readyTimeoutSeconds": readyTimeout])
        return String(decoding: data, as: UTF8.self)
    }

    static func cleanUp(_ session: String, user: String) {
        _ = try? kubectl(["delete", "deployment,service", "-l", "streamspace.io/session=\(session)", "--wait=false"])
        _ = try? kubectl(["delete", "pvc", "home-\(user)", "--wait=false"])
    }

    /// The HTTP status the URL answers with from this host, or nil when nothing answers.
    static func httpStatus(_ url: String) throws -> Int? {
        let result = try ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url])
        return result.status == 0 ? Int(result.stdout) : nil
    }
}

@Suite(.serialized, .enabled(if: Kube.isAvailable || Kube.isRequired, "needs the kube sandbox (eval \"$(Scripts/kube-sandbox.sh up)\")"))
struct KubernetesAgentTests {
    static let image = "streamspace-test/httpd:2"

    private func agent(_ setup: ControlPlaneForAgent, crashAt point: String? = nil, readyTimeout: Int = 60) throws -> AgentProcess {
        var environment = setup.environment
        if let point { environment[TestCrashPoint.variable] = point }
        return try AgentProcess(setup.arguments(["--driver", "kubernetes", "--driver-config", try Kube.driverConfig(readyTimeout: readyTimeout)]),
                                environment: environment)
    }

    private func stopCleanly(_ setup: ControlPlaneForAgent, _ agent: AgentProcess) async throws {
        try await setup.stopCleanly(agent, [setup.baseID])
    }

    private func connected(_ setup: ControlPlaneForAgent, _ agent: AgentProcess) async throws {
        let id = setup.baseID
        try await setup.waitFor("the agent connected and reporting", agent) { state in
            state.agent(id)?.connected == true && state.sessionSyncs.contains { $0.agentId == id }
        }
    }

    private func request(_ setup: ControlPlaneForAgent, user: String, image: String = image, cpu: String = "250m",
                         memory: String = "64Mi", persistentHome: Bool = false) -> SessionRequest {
        SessionRequest(agentId: setup.baseID, user: user, template: "httpd", image: image, port: 8080,
                       cpu: cpu, memory: memory, persistentHome: persistentHome)
    }

    /// The URL a running session answers on: the pod IP on the docker bridge, as the driver reports it.
    private func expectAnswers(_ session: SessionRecord?, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let metadata = session?.platformMetadata
        let podIP = metadata?["podIP"]?.stringValue
        #expect(metadata?["podName"]?.stringValue?.hasPrefix("ss-\(session?.sessionId ?? "")-") == true,
                "platformMetadata: \(String(describing: metadata))", sourceLocation: sourceLocation)
        let ip = try #require(podIP, "no podIP in \(String(describing: metadata))", sourceLocation: sourceLocation)
        #expect(session?.url != nil, "the control plane has no URL for the session", sourceLocation: sourceLocation)
        var status: Int?
        for _ in 0..<20 where status == nil {
            status = try Kube.httpStatus("http://\(ip):8080/")
            if status == nil { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(status == 200, "http://\(ip):8080/ answered \(status.map(String.init) ?? "nothing")", sourceLocation: sourceLocation)
    }

    @Test func startHibernateWakeStopThroughTheControlPlane() async throws {
        let setup = try await ControlPlaneForAgent()
        defer { try? FileManager.default.removeItem(atPath: setup.stateDirectory) }
        let user = "e2e\(UInt16.random(in: 0...UInt16.max))"
        let agent = try agent(setup)
        try await connected(setup, agent)
        let created = try await setup.controlPlane.createSession(request(setup, user: user, persistentHome: true))
        let session = created.sessionId
        defer { Kube.cleanUp(session, user: user) }

        let start = try await setup.waitForCommand(created.commandId)
        #expect(start.state == .completed, "\(start.error ?? "")\nstderr:\n\(agent.stderr)")
        var state = try await setup.waitFor("session running with a URL", agent) { $0.session(session)?.state == "running" && $0.session(session)?.url != nil }
        try await expectAnswers(state.session(session))

        let hibernate = try await setup.waitForCommand(try await setup.controlPlane.hibernate(sessionId: session))
        #expect(hibernate.state == .completed, "\(hibernate.error ?? "")")
        try await setup.waitFor("session hibernated", agent) { $0.session(session)?.state == "hibernated" }
        let deployment = try #require(try Kube.object("deployment", "ss-\(session)"), "the Deployment is gone after hibernate")
        #expect((deployment["spec"] as? [String: Any])?["replicas"] as? Int == 0)
        #expect(try Kube.object("pvc", "home-\(user)") != nil, "the persistent home was not kept")

        let wake = try await setup.waitForCommand(try await setup.controlPlane.wake(sessionId: session))
        #expect(wake.state == .completed, "\(wake.error ?? "")")
        state = try await setup.waitFor("session running again", agent) { $0.session(session)?.state == "running" && $0.session(session)?.url != nil }
        try await expectAnswers(state.session(session))

        let stop = try await setup.waitForCommand(try await setup.controlPlane.deleteSession(session, deletePVC: true))
        #expect(stop.state == .completed, "\(stop.error ?? "")")
        try await setup.waitFor("session terminated", agent) { $0.session(session)?.state == "terminated" }
        let left = try await Kube.leftoversOnceCollected(session, user: user)
        #expect(left.isEmpty, "left after the stop: \(left)")
        #expect(try Kube.object("pvc", "home-\(user)") == nil, "the home stayed after a stop with deletePVC")
        try await stopCleanly(setup, agent)
        await setup.controlPlane.stop()
    }

    @Test func anAgentKilledBetweenDeploymentAndServiceLeavesNothingAfterTheNextStop() async throws {
        let setup = try await ControlPlaneForAgent()
        defer { try? FileManager.default.removeItem(atPath: setup.stateDirectory) }
        let user = "crash\(UInt16.random(in: 0...UInt16.max))"
        let armed = try agent(setup, crashAt: "kubernetes:start-after-deployment")
        try await connected(setup, armed)
        let created = try await setup.controlPlane.createSession(request(setup, user: user, persistentHome: true))
        let session = created.sessionId
        defer { Kube.cleanUp(session, user: user) }
        let status = await armed.exitStatus(within: .seconds(60))
        try #require(status == 128 + SIGKILL, "not killed at kubernetes:start-after-deployment (exit \(status.map(String.init) ?? "none")); stderr:\n\(armed.stderr)")
        #expect(try Kube.object("deployment", "ss-\(session)") != nil, "the crash point was passed before the Deployment was made")
        #expect(try Kube.object("service", session) == nil, "the Service was made before the crash point")

        let before = await setup.controlPlane.state.agent(setup.baseID)?.connections ?? 0
        let agent = try agent(setup)
        try await setup.waitFor("the restarted agent connected", agent) { ($0.agent(setup.baseID)?.connections ?? 0) > before && $0.agent(setup.baseID)?.connected == true }
        let stop = try await setup.waitForCommand(try await setup.controlPlane.deleteSession(session, deletePVC: true))
        #expect(stop.state == .completed, "\(stop.error ?? "")\nstderr:\n\(agent.stderr)")
        let left = try await Kube.leftoversOnceCollected(session, user: user)
        #expect(left.isEmpty, "left after the stop: \(left)")
        #expect(try Kube.object("pvc", "home-\(user)") == nil, "the home PVC stayed after a stop with deletePVC")
        try await stopCleanly(setup, agent)
        await setup.controlPlane.stop()
    }

    /// A failed start reaches the Control Plane with the platform's reason, and leaves nothing.
    @Test(arguments: [
        ("streamspace-test/no-such-image:404", "250m", ["ErrImagePull", "ImagePullBackOff"]),
        (image, "512", ["Unschedulable"]),
        ("streamspace-test/crash:1", "250m", ["CrashLoopBackOff"]),  // exits 3 (Scripts/docker-sandbox.sh)
        ("streamspace-test/oom:1", "250m", ["OOMKilled"]),  // outgrows its 64Mi
    ])
    func aFailedStartSaysWhyAndLeavesNothing(_ image: String, _ cpu: String, _ reasons: [String]) async throws {
        let setup = try await ControlPlaneForAgent()
        defer { try? FileManager.default.removeItem(atPath: setup.stateDirectory) }
        let user = "fail\(UInt16.random(in: 0...UInt16.max))"
        let agent = try agent(setup, readyTimeout: 30)
        try await connected(setup, agent)
        let created = try await setup.controlPlane.createSession(request(setup, user: user, image: image, cpu: cpu))
        let session = created.sessionId
        defer { Kube.cleanUp(session, user: user) }
        let start = try await setup.waitForCommand(created.commandId)
        #expect(start.state == .failed, "a start of \(image) with cpu \(cpu) did not fail")
        let error = start.error ?? ""
        #expect(reasons.contains { error.contains($0) }, "the error names none of \(reasons): \(error)")
        if reasons == ["Unschedulable"] {
            #expect(error.contains("Insufficient cpu"), "the scheduler's message is missing: \(error)")
        }
        let left = try await Kube.leftoversOnceCollected(session, user: user)
        #expect(left.isEmpty, "a failed start left: \(left)")
        try await stopCleanly(setup, agent)
        await setup.controlPlane.stop()
    }
}
