import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Logging
import Testing

/// The LXD driver's tests run against a real LXD. Without one they are skipped (with the
/// reason), unless Scripts/test.sh asks for LXD, which makes its absence a failure.
let lxdTrait = Testing.ConditionTrait.enabled(if: LXDTestEnvironment.isAvailable,
                                              Comment(rawValue: LXDTestEnvironment.unavailableReason ?? ""))

enum LXDTest {
    static func sessionID(_ prefix: String) -> String {
        "\(prefix)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// `hibernate: stop` unless a test says otherwise: the load-time probe is tested once.
    static func loadDriver(config: String = #"{"hibernate": "stop", "stopTimeoutSeconds": 2}"#) async throws -> Driver {
        let library = try DriverLibrary.load(path: "\(ProcessEnvironment.executableDirectory()!)/liblxd.so")
        var logger = Logger(label: "lxd-test")
        logger.logLevel = .warning
        return try await Driver.create(library, configuration: Array(config.utf8), logger: logger)
    }

    static func spec(_ id: String, persistentHome: Bool = true, image: String = LXDTestEnvironment.image) throws -> SessionSpec {
        SessionSpec(id: id, user: "alice", template: .init(name: "httpd", image: image, env: ["GREETING": "hello world"],
                                                           ports: [.init(name: "vnc", port: 8080)]),
                    resources: try .init(cpu: "250m", memory: "64Mi"), persistentHome: persistentHome)
    }

    static func exec(_ instance: String, _ script: String) throws -> String {
        try LXDTestEnvironment.lxcOutput(["exec", instance, "--", "sh", "-c", script])
    }

    /// Removes whatever a test left of a session, even after a failed expectation.
    static func cleanUp(_ ids: [String]) {
        for id in ids {
            if let instance = try? LXDTestEnvironment.instance(ofSession: id), let name = instance["name"] as? String {
                _ = try? LXDTestEnvironment.lxc(["delete", "--force", name])
            }
            let volumes = (try? LXDTestEnvironment.query("/1.0/storage-pools/default/volumes/custom?recursion=1")) as? [[String: Any]] ?? []
            for volume in volumes where (volume["config"] as? [String: String])?["user.streamspace.session"] == id {
                if let name = volume["name"] as? String {
                    _ = try? LXDTestEnvironment.lxc(["storage", "volume", "delete", "default", name])
                }
            }
        }
    }
}
