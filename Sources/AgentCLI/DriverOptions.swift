import AgentHost
import ArgumentParser
import DriverModel
import Glibc
import Logging

/// The options every command that loads one driver shares (`agent run`, which may load several,
/// has `RunDriverOptions`).
struct DriverOptions: ParsableArguments {
    // An array only to notice a repeat: a plain option would silently keep the last one.
    @Option(name: .customLong("driver"), help: ArgumentHelp(
        "The driver: a path to a .so file, or a name looked up as NAME.so / libNAME.so (shipped: docker, lxd, kubernetes, mock, sample). One driver.",
        valueName: "path-or-name"))
    var drivers: [String]

    @Option(name: .long, help: ArgumentHelp(
        "The driver's JSON config: a file, or inline JSON starting with '{'. Default: {}.",
        valueName: "file-or-json"))
    var driverConfig: String?

    @Option(name: .long, help: "Log level for the agent's and the driver's log lines (on stderr): trace, debug, info, warning, error.")
    var logLevel: LogLevelOption = .warning

    /// The one driver named; a second `--driver` is refused rather than silently dropped.
    func driver() throws(CLIError) -> String {
        guard drivers.count == 1, let driver = drivers.first else {
            throw CLIError("--driver is given \(drivers.count) times (\(drivers.joined(separator: ", "))): this command loads one driver; only `agent run` loads several")
        }
        return driver
    }

    /// The config bytes, read and checked to be a JSON object.
    func configuration() throws(CLIError) -> [UInt8] {
        try DriverLoading.configuration(driverConfig)
    }

    /// Loads the driver and creates an instance from --driver-config.
    func createDriver() async throws(CLIError) -> Driver {
        let library = try loadLibrary()
        return try await DriverLoading.create(library, configuration: try configuration())
    }

    func loadLibrary() throws(CLIError) -> DriverLibrary {
        try DriverLoading.library(try driver())
    }
}

/// Turning `--driver` and `--driver-config` values into a driver instance, one error line each.
enum DriverLoading {
    /// A config argument (a file, or inline JSON starting with '{'; nil: `{}`), read and checked
    /// to be a JSON object. `driver` names whose it is in errors, when several are loaded.
    static func configuration(_ argument: String?, for driver: String? = nil) throws(CLIError) -> [UInt8] {
        guard let argument else { return Array("{}".utf8) }
        let what = driver.map { "\($0)'s driver config" } ?? "driver config"
        let bytes: [UInt8]
        if argument.hasPrefix("{") {
            bytes = Array(argument.utf8)
        } else {
            bytes = try readFile(argument, what: what)
        }
        guard let config = try? JSONValue(parsing: bytes), case .object = config else {
            // Inline config is never echoed: it may hold credentials.
            throw CLIError("\(what) \(argument.hasPrefix("{") ? "(inline)" : argument): not a JSON object")
        }
        ProcessLog.redactor.addSecrets(ofDriverConfig: config)
        return bytes
    }

    static func library(_ driver: String) throws(CLIError) -> DriverLibrary {
        do {
            let path = try DriverSearchPath.standard().resolve(driver)
            return try DriverLibrary.load(path: path)
        } catch {
            throw CLIError(error.message)
        }
    }

    static func create(_ library: DriverLibrary, configuration: [UInt8]) async throws(CLIError) -> Driver {
        do {
            return try await Driver.create(library, configuration: configuration, logger: Logger(label: "streamspace.driver"))
        } catch {
            throw CLIError(error.message)
        }
    }
}

/// One clear line on stderr per problem and a non-zero exit: how every command reports what
/// stops it.
struct CLIError: Error, CustomStringConvertible {
    let problems: [String]
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 2) {
        self.init([message], exitCode: exitCode)
    }

    init(_ problems: [String], exitCode: Int32 = 2) {
        self.problems = problems
        self.exitCode = exitCode
    }

    var message: String { problems.joined(separator: "; ") }
    var description: String { message }
}

extension CLIError {
    /// Prints the error and exits, bypassing ArgumentParser's usage text (this is not a usage
    /// error): in the log format asked for, redacted.
    func exit() -> Never {
        ProcessLog.fatal(problems)
        Glibc.exit(exitCode)
    }
}

func printError(_ line: String) {
    var line = line + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func readFile(_ path: String, what: String) throws(CLIError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw CLIError("\(what) \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count > 0 { bytes += buffer[..<count] }
        if count < buffer.count { break }
    }
    if ferror(file) != 0 { throw CLIError("\(what) \(path): read error") }
    return bytes
}
