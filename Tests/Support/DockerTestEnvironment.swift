import Foundation

/// The Docker the Docker driver's tests run against: a real daemon (CI starts a private one with
/// Scripts/docker-sandbox.sh and exports DOCKER_HOST). The tests observe the platform with the
/// docker CLI, independently of the driver they check.
public enum DockerTestEnvironment {
    /// The DOCKER_HOST in effect (the environment's, else Docker's default socket).
    public static let host: String = ProcessInfo.processInfo.environment["DOCKER_HOST"] ?? "unix:///var/run/docker.sock"

    /// The session image: busybox serving /config on 8080 (Scripts/docker-sandbox.sh builds it).
    public static let image: String = ProcessInfo.processInfo.environment["STREAMSPACE_TEST_IMAGE"] ?? "streamspace-test/httpd:2"

    /// Set by Scripts/test.sh: a missing Docker is then a failure, not a reason to skip.
    public static let isRequired = ProcessInfo.processInfo.environment["STREAMSPACE_REQUIRE_DOCKER"] == "1"

    static let cli: String? = ["/usr/bin/docker", "/usr/local/bin/docker"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Why the tests cannot run here, or nil when Docker answers and the image is there.
    public static let unavailableReason: String? = {
        guard cli != nil else { return "no docker CLI (apt-get install docker.io)" }
        guard let version = try? docker(["version", "--format", "{{.Server.APIVersion}}"]), version.status == 0 else {
            return "no Docker answers at \(host) (run: eval \"$(Scripts/docker-sandbox.sh up)\")"
        }
        guard let image = try? docker(["image", "inspect", image]), image.status == 0 else {
            return "the image \(image) is missing (run: eval \"$(Scripts/docker-sandbox.sh up)\")"
        }
        return nil
    }()

    public static var isAvailable: Bool { unavailableReason == nil }

    /// Runs the docker CLI against the test Docker.
    @discardableResult
    public static func docker(_ arguments: [String]) throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_HOST"] = host
        return try ProcessRunner.run(cli ?? "/usr/bin/docker", arguments, environment: environment)
    }

    /// The docker CLI's output, or a thrown error carrying its stderr.
    public static func dockerOutput(_ arguments: [String]) throws -> String {
        let result = try docker(arguments)
        guard result.status == 0 else { throw DockerCLIError(arguments: arguments, stderr: result.stderr) }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `docker inspect` of one object as JSON.
    public static func inspect(_ name: String) throws -> [String: Any]? {
        let result = try docker(["inspect", name])
        guard result.status == 0 else { return nil }
        let array = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return array?.first
    }

    /// Names of the containers of a session (any state).
    public static func containers(ofSession id: String) throws -> [String] {
        try dockerOutput(["ps", "-a", "--filter", "label=streamspace.io/session=\(id)", "--format", "{{.Names}}"])
            .split(separator: "\n").map(String.init)
    }

    /// Removes whatever a test left of sessions (containers, volumes), even after a failure.
    public static func removeLeftovers(ofSessions ids: [String]) {
        for id in ids {
            for name in (try? containers(ofSession: id)) ?? [] {
                _ = try? docker(["rm", "-f", name])
            }
            let volumes = (try? dockerOutput(["volume", "ls", "-q", "--filter", "label=streamspace.io/session=\(id)"])) ?? ""
            for volume in volumes.split(separator: "\n") {
                _ = try? docker(["volume", "rm", String(volume)])
            }
        }
    }

    public struct DockerCLIError: Error, CustomStringConvertible {
        public var arguments: [String]
        public var stderr: String
        public var description: String { "docker \(arguments.joined(separator: " ")) failed: \(stderr)" }
    }
}
