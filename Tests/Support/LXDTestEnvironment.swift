import Foundation

/// The LXD the LXD driver's tests run against: a real daemon (CI starts a private one with
/// Scripts/lxd-sandbox.sh and exports LXD_DIR). The tests observe it with the lxc CLI,
/// independently of the driver they check.
public enum LXDTestEnvironment {
    public static let directory: String? = ProcessInfo.processInfo.environment["LXD_DIR"]

    /// The session image's alias: busybox with an inittab serving /config on 8080.
    public static let image: String = ProcessInfo.processInfo.environment["STREAMSPACE_LXD_TEST_IMAGE"] ?? "streamspace-test/httpd"

    /// Set by Scripts/test.sh: a missing LXD is then a failure, not a reason to skip.
    public static let isRequired = ProcessInfo.processInfo.environment["STREAMSPACE_REQUIRE_LXD"] == "1"

    static let cli: String? = ["/usr/bin/lxc", "/snap/bin/lxc"].first { FileManager.default.isExecutableFile(atPath: $0) }

    public static let unavailableReason: String? = {
        guard cli != nil else { return "no lxc CLI (apt-get install lxd)" }
        guard directory != nil else { return "LXD_DIR is not set (run: eval \"$(Scripts/lxd-sandbox.sh up)\")" }
        guard let info = try? lxc(["query", "/1.0"]), info.status == 0 else {
            return "no LXD answers at \(directory ?? "?") (run: eval \"$(Scripts/lxd-sandbox.sh up)\")"
        }
        guard let image = try? lxc(["image", "info", image]), image.status == 0 else {
            return "the image \(image) is missing (run: eval \"$(Scripts/lxd-sandbox.sh up)\")"
        }
        return nil
    }()

    public static var isAvailable: Bool { unavailableReason == nil }

    @discardableResult
    public static func lxc(_ arguments: [String]) throws -> ProcessRunner.Result {
        try ProcessRunner.run(cli ?? "/usr/bin/lxc", arguments, environment: ProcessInfo.processInfo.environment)
    }

    public static func lxcOutput(_ arguments: [String]) throws -> String {
        let result = try lxc(arguments)
        guard result.status == 0 else {
            throw DockerTestEnvironment.DockerCLIError(arguments: ["(lxc)"] + arguments, stderr: result.stderr)
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `lxc query` of an API path as JSON; nil when LXD answers 404.
    public static func query(_ path: String) throws -> Any? {
        let result = try lxc(["query", path])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8), options: [.fragmentsAllowed])
    }

    /// The instance of a session, found by its key (any name).
    public static func instance(ofSession id: String) throws -> [String: Any]? {
        let all = try query("/1.0/instances?recursion=1") as? [[String: Any]] ?? []
        return all.first { ($0["config"] as? [String: String])?["user.streamspace.session"] == id }
    }

    /// Removes whatever a test left of sessions (instances, custom volumes), even after a failure.
    public static func removeLeftovers(ofSessions ids: [String]) {
        for id in ids {
            if let instance = try? instance(ofSession: id), let name = instance["name"] as? String {
                _ = try? lxc(["delete", "--force", name])
            }
            let volumes = (try? query("/1.0/storage-pools/default/volumes/custom?recursion=1")) as? [[String: Any]] ?? []
            for volume in volumes where (volume["config"] as? [String: String])?["user.streamspace.session"] == id {
                if let name = volume["name"] as? String {
                    _ = try? lxc(["storage", "volume", "delete", "default", name])
                }
            }
        }
    }
}
