import AgentHost
import Foundation

/// The real `agent` binary of this build, run in the background: a test watches what it does
/// through the control plane, then stops it with SIGTERM as a supervisor would.
final class AgentProcess: @unchecked Sendable {
    // @unchecked: `process` is only read after `run()`; Foundation's Process is thread-safe to signal.
    static var binary: String { "\(ProcessEnvironment.executableDirectory()!)/agent" }
    static var buildDirectory: String { ProcessEnvironment.executableDirectory()! }

    private let process = Process()
    private let stderrPath: String

    /// Starts `agent` with exactly these arguments and this environment (nothing inherited, so a
    /// stray AGENT_ID or PLATFORM of the test's own environment cannot change what it does).
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        stderrPath = NSTemporaryDirectory() + "agent-stderr-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, given in given }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM: what systemd or Kubernetes sends to stop the agent.
    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// The exit status, or nil if it still runs after `timeout` (then it is killed).
    func exitStatus(within timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
}
