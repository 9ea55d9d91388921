import DriverModel
import Foundation
import PlatformKit
import Testing

/// The one mapping of platform errors, held to real answers: every golden capture of LXD's and
/// Docker's refusals (Tests/Fixtures/*/errors) with the code it must get. A capture added
/// without a row here fails the test, so no answer goes unclassified.
@Suite struct PlatformErrorClassTests {
    static let lxd: [String: DriverStatusCode] = [
        "400-bad-instance-name": .invalidArgument,
        "400-bad-json": .invalidArgument,
        "400-bad-state-action": .invalidArgument,
        "400-delete-running": .failedPrecondition,
        "404-create-in-missing-project": .notFound,
        "404-image-not-found": .notFound,
        "404-instance-not-found": .notFound,
        "404-no-such-operation": .notFound,
        "404-pool-not-found": .notFound,
        "404-project-not-found-instance": .notFound,
        "404-state-not-found": .notFound,
        "404-unknown-endpoint": .notFound,
        "409-volume-already-exists": .alreadyExists,
        "500-profile-not-found": .notFound,
        "500-volume-bad-config": .invalidArgument,
        "op-already-exists": .alreadyExists,
        "op-bad-cpu-allowance": .invalidArgument,
        "op-bad-device": .invalidArgument,
        "op-bad-memory-value": .invalidArgument,
        "op-image-fingerprint-not-found": .notFound,
        "op-image-server-unreachable": .unavailable,
        "op-start-already-running": .failedPrecondition,
        "op-start-port-in-use": .unavailable,
        "op-stateful-stop-unsupported": .unsupported,
        "op-stop-not-running": .failedPrecondition,
        "op-unknown-config-key": .invalidArgument,
    ]

    static let docker: [String: DriverStatusCode] = [
        "400-bad-memory-value": .invalidArgument,
        "400-client-version-too-new": .incompatible,
        "400-invalid-container-name": .invalidArgument,
        "400-inspect-invalid-reference": .invalidArgument,
        "400-invalid-reference-format": .invalidArgument,
        "400-negative-cpu": .invalidArgument,
        "400-pull-invalid-reference": .invalidArgument,
        "400-too-many-cpus": .invalidArgument,
        "404-no-such-container": .notFound,
        "404-no-such-image": .notFound,
        "404-no-such-network": .notFound,
        "404-no-such-volume": .notFound,
        "404-start-no-such-container": .notFound,
        "409-conflict-name-in-use": .alreadyExists,
        "409-remove-running": .failedPrecondition,
        "500-bad-json": .internal,
        "500-bad-memory-type": .invalidArgument,
        "500-pull-registry-unreachable": .unavailable,
        "500-start-port-already-allocated": .unavailable,
    ]

    /// The captures of one platform: name, the HTTP status it came with, its body.
    static func captures(_ platform: String) throws -> [(name: String, status: Int, body: JSONValue)] {
        let directory = "\(TestSupport.packageRoot)/Tests/Fixtures/\(platform)/errors"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted().map { file in
            let name = String(file.dropLast(5))
            // op-*: an operation's /wait answer, which LXD sends with 200.
            let status = name.hasPrefix("op-") ? 200 : Int(name.prefix(3))!
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file)")))
            return (name, status, try JSONValue(parsing: bytes))
        }
    }

    @Test(arguments: ["lxd", "docker"]) func everyCaptureGetsItsCode(platform: String) throws {
        let table = platform == "lxd" ? Self.lxd : Self.docker
        let captures = try Self.captures(platform)
        #expect(Set(captures.map(\.name)) == Set(table.keys), "a capture without a row, or a row without a capture")
        for capture in captures {
            let refusal = platform == "lxd" ? PlatformRefusal.lxd(httpStatus: capture.status, body: capture.body)
                                            : PlatformRefusal.docker(httpStatus: capture.status, body: capture.body)
            let read = try #require(refusal, "\(capture.name)")
            #expect(!read.message.isEmpty, "\(capture.name)")
            #expect(read.code == table[capture.name], "\(capture.name): \(read.message)")
        }
    }

    @Test func onlyWhatCanPassIsTemporary() {
        for (status, code) in [(503, DriverStatusCode.unavailable), (502, .unavailable), (429, .unavailable),
                               (504, .timeout), (500, .internal), (400, .invalidArgument), (404, .notFound),
                               (409, .alreadyExists), (403, .failedPrecondition), (501, .unsupported)] {
            #expect(PlatformErrorClass.code(status: status, message: "something the rules do not know") == code, "\(status)")
        }
        // A failed operation with a text no rule knows is not retried: nothing says it can pass.
        #expect(PlatformErrorClass.code(status: nil, message: "Failed doing something new").isRetryable == false)
        #expect(PlatformErrorClass.code(status: 500, message: "Instance is busy running a \"stop\" operation") == .unavailable)
        #expect(PlatformErrorClass.code(status: 500, message: "lookup registry.invalid: no such host") == .unavailable)
    }

    @Test func successesAreNoRefusal() throws {
        let running = try JSONValue(parsing: Array(#"{"type":"sync","status_code":200,"metadata":{"status_code":200,"err":""}}"#.utf8))
        #expect(PlatformRefusal.lxd(httpStatus: 200, body: running) == nil)
        #expect(PlatformRefusal.docker(httpStatus: 204, body: nil) == nil)
        let cancelled = try JSONValue(parsing: Array(#"{"type":"sync","metadata":{"status_code":401,"err":"cancelled"}}"#.utf8))
        #expect(PlatformRefusal.lxd(httpStatus: 200, body: cancelled) == nil, "a cancelled operation is the caller's to report")
    }
}
