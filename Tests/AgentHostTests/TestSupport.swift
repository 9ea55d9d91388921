import AgentHost
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

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion, capturing its output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe never deadlocks the child.
        let stderrData = LockedData()
        let reader = Thread { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !stderrData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData.value, as: UTF8.self))
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

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}
