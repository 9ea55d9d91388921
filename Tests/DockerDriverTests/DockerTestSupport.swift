import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Logging
import Testing

/// The Docker driver's tests run against the real Docker Engine. Without one they are skipped
/// (with the reason), unless Scripts/test.sh asks for Docker, which makes its absence a failure.
let dockerTrait = Testing.ConditionTrait.enabled(if: DockerTestEnvironment.isAvailable,
                                                 Comment(rawValue: DockerTestEnvironment.unavailableReason ?? ""))

enum DockerTest {
    static var image: String { DockerTestEnvironment.image }

    /// A session id no other test (or earlier run) uses.
    static func sessionID(_ prefix: String) -> String {
        "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// The driver built by this build, loaded through the agent's own loader.
    static func loadDriver(config: String = "{}") async throws -> Driver {
        let library = try DriverLibrary.load(path: "\(ProcessEnvironment.executableDirectory()!)/libdocker.so")
        var logger = Logger(label: "docker-test")
        logger.logLevel = .warning
        return try await Driver.create(library, configuration: Array(config.utf8), logger: logger)
    }

    /// A small session: the session-httpd image (busybox + Scripts/session-image) on 8080, 64 MiB, a quarter core.
    static func spec(_ id: String, persistentHome: Bool = true, image: String = DockerTest.image,
                     env: [String: String] = [:]) throws -> SessionSpec {
        SessionSpec(id: id, user: "alice", template: .init(name: "httpd", image: image, env: env,
                                                           ports: [.init(name: "vnc", port: 8080)]),
                    resources: try .init(cpu: "250m", memory: "64Mi"), persistentHome: persistentHome)
    }


    /// Runs a command in a session's container (as a person would, with the docker CLI).
    static func exec(_ container: String, _ script: String) throws -> String {
        try DockerTestEnvironment.dockerOutput(["exec", container, "sh", "-c", script])
    }

    static func isRunning(_ container: String) throws -> Bool? {
        guard let inspect = try DockerTestEnvironment.inspect(container) else { return nil }
        return (inspect["State"] as? [String: Any])?["Running"] as? Bool
    }

    static func cleanUp(_ ids: [String]) {
        DockerTestEnvironment.removeLeftovers(ofSessions: ids)
    }
}
