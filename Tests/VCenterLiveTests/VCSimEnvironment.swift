import DriverModel
import Foundation
import PlatformKit
import Testing
@testable import VCenterDriver

/// The vCenter the live tests run against: vcsim from Scripts/vcsim-sandbox.sh, which exports
/// STREAMSPACE_VCSIM_*. Without it the tests are skipped, unless STREAMSPACE_REQUIRE_VCSIM=1
/// (Scripts/test.sh sets it): then a missing vcsim is a failure.
enum VCSim {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["STREAMSPACE_VCSIM_URL"]
    static let isRequired = environment["STREAMSPACE_REQUIRE_VCSIM"] == "1"

    static let unavailableReason: String? = {
        guard let url, !url.isEmpty else {
            return "STREAMSPACE_VCSIM_URL is not set (run: eval \"$(Scripts/vcsim-sandbox.sh up)\")"
        }
        guard let file = environment["STREAMSPACE_VCSIM_PASSWORD_FILE"], FileManager.default.isReadableFile(atPath: file) else {
            return "STREAMSPACE_VCSIM_PASSWORD_FILE is not a readable file"
        }
        return nil
    }()

    /// Skip without vcsim; fail when it is required.
    static var isAvailable: Bool {
        if unavailableReason == nil { return true }
        return isRequired
    }

    static func checkAvailable() throws {
        if let unavailableReason { Issue.record("vcsim is required here (STREAMSPACE_REQUIRE_VCSIM=1) but \(unavailableReason)"); throw DriverError(.unavailable, unavailableReason) }
    }

    static var user: String { environment["STREAMSPACE_VCSIM_USER"] ?? "" }

    static func password() throws -> String {
        try String(contentsOfFile: environment["STREAMSPACE_VCSIM_PASSWORD_FILE"] ?? "", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func session(password: String? = nil) throws -> VimSession {
        try checkAvailable()
        let endpoint = try VimEndpoint(url: url ?? "", tls: TLSMaterial(caFile: environment["STREAMSPACE_VCSIM_CA"]),
                                       user: user, password: try password ?? Self.password())
        return try VimSession(endpoint)
    }
}
