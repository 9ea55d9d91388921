import Foundation

/// Runs programs for tests and benchmarks: compilers, the agent binary, and independent
/// observers such as the docker CLI (a test checks the platform with a tool other than the
/// driver under test).
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs a program to completion, capturing its output (stdout thrown away unless
    /// `keepOutput`: a benchmark timing a command that prints megabytes).
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           keepOutput: Bool = true) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = keepOutput ? out : FileHandle.nullDevice
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe never deadlocks the child.
        let stderrData = LockedData()
        let reader = Thread { stderrData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdoutData = keepOutput ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        process.waitUntilExit()
        while !stderrData.isSet { usleep(1000) }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData.value, as: UTF8.self))
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}
