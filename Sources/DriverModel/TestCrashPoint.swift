#if canImport(Glibc)
import Glibc
#endif

/// TEST ONLY. Kills this process with SIGKILL — exactly what `kill -9` does — when it reaches a
/// named point of its work, so the restart-safety tests can crash the agent at a chosen step of
/// a command rather than at a random moment. Armed only by the environment variable
/// `STREAMSPACE_TEST_CRASH_AT` (a comma-separated list of point names, such as
/// `start_session:after-journal-begin` or `docker:start-after-create`); unset, every check is one
/// load of a constant. Never set it outside tests: it exists for Tests/LinkTests/RestartSafetyTests.
public enum TestCrashPoint {
    public static let variable = "STREAMSPACE_TEST_CRASH_AT"

    private static let armed: Set<Substring> = {
        guard let value = getenv(variable) else { return [] }
        return Set(String(cString: value).split(separator: ","))
    }()

    /// Dies here if the test armed this point.
    public static func reached(_ point: String) {
        guard !armed.isEmpty, armed.contains(Substring(point)) else { return }
        let line = "TestCrashPoint: killing the process at \(point) (\(variable) is set: tests only)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        raise(SIGKILL)
    }
}
