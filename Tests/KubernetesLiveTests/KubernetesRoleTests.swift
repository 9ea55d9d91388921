import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing
import Yams

/// The RBAC rules of deploy/kubernetes (Role + node-reader ClusterRole), parsed from the YAML the
/// operator applies, and a check of one request against them.
struct RBACRules {
    struct Rule { var apiGroups, resources, verbs: [String]; var namespace: String? }
    var rules: [Rule]

    static let deployDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../deploy/kubernetes").standardized.path

    /// Every Role (bound to its namespace) and ClusterRole (any namespace, and cluster-scoped) in the files.
    init(files: [String]) throws {
        rules = []
        for file in files {
            let text = try String(contentsOfFile: "\(Self.deployDirectory)/\(file)", encoding: .utf8)
            for case let document as [String: Any] in try Yams.load_all(yaml: text) {
                guard let kind = document["kind"] as? String, kind == "Role" || kind == "ClusterRole" else { continue }
                let namespace = kind == "Role" ? (document["metadata"] as? [String: Any])?["namespace"] as? String ?? "default" : nil
                for case let rule as [String: Any] in document["rules"] as? [Any] ?? [] {
                    rules.append(Rule(apiGroups: rule["apiGroups"] as? [String] ?? [], resources: rule["resources"] as? [String] ?? [],
                                      verbs: rule["verbs"] as? [String] ?? [], namespace: namespace))
                }
            }
        }
    }

    /// `resource` may carry its subresource ("deployments/scale"); `namespace` nil for cluster-scoped.
    func allows(verb: String, group: String, resource: String, namespace: String?) -> Bool {
        rules.contains { rule in
            (rule.namespace == nil || rule.namespace == namespace)
                && (rule.apiGroups.contains(group) || rule.apiGroups.contains("*"))
                && (rule.resources.contains(resource) || rule.resources.contains("*"))
                && (rule.verbs.contains(verb) || rule.verbs.contains("*"))
        }
    }
}

@Suite(.serialized, kubeTrait) struct KubernetesRoleTests {
    static let agentUser = "system:serviceaccount:streamspace:streamspace-agent"
    static let auditLog = ProcessInfo.processInfo.environment["STREAMSPACE_KUBE_AUDIT_LOG"]

    /// The agent's requests logged after `offset`, in `namespace` or cluster-wide: suites run in
    /// parallel, and other suites' requests in their own namespaces (where they bind this same
    /// Role) are not this lifecycle's.
    static func agentRequests(in path: String, from offset: Int, namespace: String = KubeTest.namespace) throws -> [[String: Any]] {
        let handle = try #require(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["user"] as? String == agentUser }
            .filter { line in
                guard let lineNamespace = line["namespace"] as? String, !lineNamespace.isEmpty else { return true }
                return lineNamespace == namespace
            }
    }

    @Test func theRuleCheckerRejectsWhatTheRoleDoesNotGrant() throws {
        let rbac = try RBACRules(files: ["role.yaml", "node-reader.yaml"])
        #expect(rbac.rules.count >= 9, "parsed \(rbac.rules.count) rules from \(RBACRules.deployDirectory)")
        #expect(rbac.allows(verb: "patch", group: "apps", resource: "deployments/scale", namespace: "streamspace"))
        #expect(rbac.allows(verb: "list", group: "", resource: "nodes", namespace: nil))
        #expect(!rbac.allows(verb: "update", group: "apps", resource: "deployments", namespace: "streamspace"), "update is not in the Role")
        #expect(!rbac.allows(verb: "get", group: "", resource: "secrets", namespace: "streamspace"))
        #expect(!rbac.allows(verb: "create", group: "apps", resource: "deployments", namespace: "default"), "the Role is for its namespace only")
        #expect(!rbac.allows(verb: "create", group: "", resource: "pods/exec", namespace: "streamspace"))
        #expect(!rbac.allows(verb: "get", group: "apps", resource: "deployments", namespace: nil))
    }

    @Test func aLifecycleStaysInsideTheRole() async throws {
        try await Self.checkLifecycle(files: ["role.yaml", "node-reader.yaml"])
    }

    /// Runs a whole lifecycle (start with a home, a second session of the same user whose
    /// Deployment is deleted by hand and stopped with deleteVolumes while the first keeps the
    /// home, logs, metrics, hibernate, wake, list, stop) in
    /// `namespace` with `config`, and checks the agent's requests there against the Roles in
    /// `files` both ways: every request granted, every grant used. `check` looks at the started
    /// session before the rest.
    static func checkLifecycle(files: [String], namespace: String = KubeTest.namespace, config: [String: Any] = [:],
                               check: (SessionStatus) async throws -> Void = { _ in }) async throws {
        let path = try #require(Self.auditLog, "STREAMSPACE_KUBE_AUDIT_LOG is not set (Scripts/kube-sandbox.sh sets it)")
        let rbac = try RBACRules(files: files)
        let offset = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let id = KubeTest.sessionID("role"), second = KubeTest.sessionID("role2")
        defer { KubeTest.cleanUp([id, second], namespace: namespace) }
        var config = config
        config["namespace"] = namespace
        let driver = try await KubeTest.loadDriver(config: config)
        let started = try await driver.start(try KubernetesLiveTests.spec(id, user: "rbac", persistentHome: true))
        #expect(started.state == .running)
        try await check(started)
        // The home exists: the second session labels it (patch); with its Deployment gone, its
        // stop finds the home by that label (list) and, the first session running, only unlabels it.
        _ = try await driver.start(try KubernetesLiveTests.spec(second, user: "rbac", persistentHome: true))
        try KubeTest.kubectl(["delete", "deployment", "ss-\(second)", "--wait=false"], namespace: namespace)
        #expect(try await driver.stop(StopRequest(sessionId: second, deleteVolumes: true)).state == .terminated)
        let home = try #require(try KubeTest.object("pvc", "home-rbac", namespace: namespace), "the home went with another session running")
        let labels = (home["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
        #expect(labels["session.streamspace.io/\(id)"] == "true" && labels["session.streamspace.io/\(second)"] == nil, "\(labels)")
        let (_, end) = await driver.openLogs(LogRequest(sessionId: id, tailLines: 5)).collect()
        #expect(end == nil, "logs: \(end?.message ?? "")")
        _ = try await driver.nodeMetrics()
        _ = try? await driver.sessionMetrics(id)
        #expect(try await driver.hibernate(id).state == .hibernated)
        #expect(try await driver.wake(id).state == .running)
        #expect(try await driver.sessions().contains { $0.sessionId == id })
        #expect(try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true)).state == .terminated)
        await driver.destroy()

        // A watch is logged when it ends, once the server noticed destroy closed it (at its next
        // write, a bookmark): give the log time to show every grant.
        let granted = rbac.rules.flatMap { rule in
            rule.verbs.flatMap { verb in rule.resources.flatMap { resource in rule.apiGroups.map { "\(verb) \($0)/\(resource)" } } }
        }
        var lines: [[String: Any]] = []
        for _ in 0..<200 {
            lines = try Self.agentRequests(in: path, from: offset, namespace: namespace)
            let logged = Set(lines.map { "\($0["verb"] as? String ?? "") \($0["group"] as? String ?? "")/\($0["resource"] as? String ?? "")" })
            if Set(granted).isSubset(of: logged) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(lines.count >= 10, "only \(lines.count) requests of \(Self.agentUser) in \(path)")
        let forbidden = lines.filter { $0["code"] as? Int == 403 }
        #expect(forbidden.isEmpty, "403s: \(forbidden)")
        var seen = Set<String>()
        for line in lines {
            let verb = line["verb"] as? String ?? "?"
            guard let resource = line["resource"] as? String else {
                // A non-resource request: only discovery and health reads, which every account may make.
                let path = line["path"] as? String ?? ""
                #expect(verb == "get" && ["/version", "/api", "/apis", "/healthz", "/readyz", "/livez", "/openapi"].contains { path.hasPrefix($0) },
                        "non-resource request \(verb) \(path)")
                continue
            }
            let group = line["group"] as? String ?? ""
            let lineNamespace = (line["namespace"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                .map { $0 == namespace ? KubeTest.namespace : $0 }  // the files name the main namespace
            seen.insert("\(verb) \(group)/\(resource) \(lineNamespace ?? "-")")
            #expect(rbac.allows(verb: verb, group: group, resource: resource, namespace: lineNamespace),
                    "\(verb) \(group.isEmpty ? "" : group + "/")\(resource) in \(lineNamespace ?? "the cluster") is not granted by \(files)")
        }
        // Least privilege the other way round: each verb the files grant is one the lifecycle used.
        let used = Set(seen.map { $0.split(separator: " ").prefix(2).joined(separator: " ") })
        #expect(Set(granted).subtracting(used).isEmpty, "granted but never used: \(Set(granted).subtracting(used).sorted())")
        #expect(seen.contains { $0.hasPrefix("patch apps/deployments/scale") }, "hibernate/wake did not go through the scale subresource: \(seen.sorted())")
        print("KubernetesRoleTests: \(lines.count) requests, distinct: \(seen.sorted())")
    }
}
