import AgentHost
import AgentTestSupport
import Foundation
import Testing

/// Paths and processes the tests share.
enum TestSupport {
    /// The package root, found from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Where SwiftPM put this build's products (the test bundle sits beside libmock.so).
    static let buildDirectory: String = ProcessEnvironment.executableDirectory()!

    static var agentBinary: String { "\(buildDirectory)/agent" }

    static func product(_ name: String) -> String { "\(buildDirectory)/lib\(name).so" }

    static var headerDirectory: String { "\(packageRoot)/Sources/DriverABI/include" }

    typealias Result = ProcessRunner.Result

    /// Runs a program to completion, capturing its output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        try ProcessRunner.run(executable, arguments, environment: environment)
    }

    /// Runs the agent binary of this build.
    static func agent(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        try run(agentBinary, arguments, environment: environment)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "streamspace-test-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Compiles C sources into a shared object with plain gcc: what a vendor does.
    static func gccShared(_ sources: [String], output: String, defines: [String] = []) throws {
        let result = try run("/usr/bin/gcc", ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2",
                                              "-shared", "-fPIC", "-fvisibility=hidden", "-I", headerDirectory]
                             + defines.map { "-D\($0)" } + sources + ["-o", output, "-lpthread"])
        if result.status != 0 {
            Issue.record("gcc failed: \(result.stderr)")
            throw CancellationError()
        }
    }
}
