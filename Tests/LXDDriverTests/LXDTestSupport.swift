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

    static func cleanUp(_ ids: [String]) {
        LXDTestEnvironment.removeLeftovers(ofSessions: ids)
    }
}
