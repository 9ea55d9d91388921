import AgentHost
import AgentTestSupport
import Foundation
import Logging
import Testing

/// The cluster the live tests run against: the test API server (Tests/KubeAPIServer, started by
/// Scripts/kube-sandbox.sh, which exports STREAMSPACE_KUBECONFIG). The tests observe it with the
/// real kubectl, independently of the driver they check.
enum KubeTest {
    static let kubeconfig = ProcessInfo.processInfo.environment["STREAMSPACE_KUBECONFIG"]
    /// What the tests observe and change "by hand" with: the sandbox's admin (the agent's own
    /// account may not even read its namespace), else the agent's kubeconfig.
    static let observerKubeconfig = ProcessInfo.processInfo.environment["STREAMSPACE_KUBE_ADMIN_KUBECONFIG"] ?? kubeconfig
    /// Set by Scripts/test.sh: a missing cluster is then a failure, not a reason to skip.
    static let isRequired = ProcessInfo.processInfo.environment["STREAMSPACE_REQUIRE_KUBE"] == "1"
    static let namespace = ProcessInfo.processInfo.environment["STREAMSPACE_KUBE_NAMESPACE"] ?? "streamspace"

    static let unavailableReason: String? = {
        guard let kubeconfig, !kubeconfig.isEmpty else {
            return "STREAMSPACE_KUBECONFIG is not set (run: eval \"$(Scripts/kube-sandbox.sh up)\")"
        }
        guard let result = try? kubectl(["get", "namespace", namespace, "-o", "name"]), result.status == 0 else {
            return "kubectl cannot read namespace \(namespace) with \(kubeconfig)"
        }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    /// kubectl as the observer, in `namespace` (the tests' main namespace unless given).
    @discardableResult
    static func kubectl(_ arguments: [String], namespace: String = namespace) throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = observerKubeconfig ?? ""
        return try ProcessRunner.run("/usr/bin/kubectl", ["-n", namespace] + arguments, environment: environment)
    }

    /// An object as JSON, or nil when kubectl says it is not there.
    static func object(_ kind: String, _ name: String, namespace: String = namespace) throws -> [String: Any]? {
        let result = try kubectl(["get", kind, name, "-o", "json"], namespace: namespace)
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    static func names(_ kind: String, selector: String) throws -> [String] {
        let result = try kubectl(["get", kind, "-l", selector, "-o", "name"])
        return result.stdout.split(separator: "\n").map(String.init)
    }

    static func loadDriver(config: [String: Any] = [:]) async throws -> Driver {
        var config = config
        config["kubeconfig"] = kubeconfig
        config["namespace"] = config["namespace"] ?? namespace
        config["readyTimeoutSeconds"] = config["readyTimeoutSeconds"] ?? 60
        let json = try JSONSerialization.data(withJSONObject: config)
        let library = try DriverLibrary.load(path: "\(ProcessEnvironment.executableDirectory()!)/libkubernetes.so")
        var logger = Logger(label: "kubernetes-test")
        logger.logLevel = .warning
        return try await Driver.create(library, configuration: Array(json), logger: logger)
    }

    static func sessionID(_ name: String) -> String {
        "kt-\(name)-\(UInt32.random(in: 0...UInt32.max) & 0xFFFFFF)"
    }

    /// Removes what a failed test left, with kubectl.
    static func cleanUp(_ ids: [String], namespace: String = namespace) {
        for id in ids {
            _ = try? kubectl(["delete", "deployment,service,ingress", "-l", "streamspace.io/session=\(id)", "--wait=false"],
                             namespace: namespace)
        }
    }

    /// A namespace with deploy/kubernetes' Role and the Roles in `files` bound to the agent's
    /// service account (as the operator applies them, the namespace rewritten), applied as admin.
    static func bindRoles(_ files: [String], in namespace: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var documents = ["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \(namespace)\n"]
        for file in ["role.yaml", "rolebinding.yaml"] + files {
            let text = try String(contentsOf: root.appendingPathComponent("deploy/kubernetes/\(file)"), encoding: .utf8)
            // Only the objects' own namespace moves: the subject stays the agent's account in its namespace.
            documents.append(text.replacingOccurrences(of: "metadata:\n  name: ", with: "metadata:\n  namespace: \(namespace)\n  name: ")
                .replacingOccurrences(of: "\n  namespace: \(Self.namespace)\n", with: "\n"))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ss-roles-\(namespace)-\(getpid()).yaml")
        try documents.joined(separator: "\n---\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let applied = try kubectl(["apply", "-f", file.path], namespace: namespace)
        guard applied.status == 0 else { throw KubectlFailure(message: applied.stderr) }
    }

    struct KubectlFailure: Error { var message: String }
}

let kubeTrait = Testing.ConditionTrait.enabled(if: KubeTest.isAvailable, "\(KubeTest.unavailableReason ?? "")")
