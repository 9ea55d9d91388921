import AgentHost
import ArgumentParser
import DriverModel
import Glibc
import Logging

/// The options every command that loads a driver shares.
struct DriverOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The driver: a path to a .so file, or a name looked up as NAME.so / libNAME.so (shipped: docker, mock, sample).",
        valueName: "path-or-name"))
    var driver: String

    @Option(name: .long, help: ArgumentHelp(
        "The driver's JSON config: a file, or inline JSON starting with '{'. Default: {}.",
        valueName: "file-or-json"))
    var driverConfig: String?

    @Option(name: .long, help: "Log level for the agent's and the driver's log lines (on stderr): trace, debug, info, warning, error.")
    var logLevel: LogLevelOption = .warning

    /// The config bytes, read and checked to be a JSON object.
    func configuration() throws(CLIError) -> [UInt8] {
        guard let driverConfig else { return Array("{}".utf8) }
        let bytes: [UInt8]
        if driverConfig.hasPrefix("{") {
            bytes = Array(driverConfig.utf8)
        } else {
            bytes = try readFile(driverConfig, what: "driver config")
        }
        guard case .object? = try? JSONValue(parsing: bytes) else {
            throw CLIError("driver config \(driverConfig.hasPrefix("{") ? "(inline)" : driverConfig): not a JSON object")
        }
        return bytes
    }

    /// Loads the driver and creates an instance from --driver-config.
    func createDriver() async throws(CLIError) -> Driver {
        let library = try loadLibrary()
        let configuration = try configuration()
        do {
            return try await Driver.create(library, configuration: configuration, logger: Logger(label: "streamspace.driver"))
        } catch {
            throw CLIError(error.message)
        }
    }

    func loadLibrary() throws(CLIError) -> DriverLibrary {
        do {
            let path = try DriverSearchPath.standard().resolve(driver)
            return try DriverLibrary.load(path: path)
        } catch {
            throw CLIError(error.message)
        }
    }
}

/// One clear line on stderr and a non-zero exit: how every command reports what stops it.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }
    var description: String { message }
}

extension CLIError {
    /// Prints the error and exits, bypassing ArgumentParser's usage text (this is not a usage error).
    func exit() -> Never {
        printError("agent: error: \(message)")
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
