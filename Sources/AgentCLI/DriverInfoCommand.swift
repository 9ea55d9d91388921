import AgentHost
import ArgumentParser
import DriverModel

struct DriverInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver-info",
        abstract: "Load a driver and print what it describes: name, version, platform, capabilities.",
        discussion: "Prints one JSON object on stdout: the driver's describe reply plus the file, the ABI version and the capabilities it declares.")

    @OptionGroup var options: DriverOptions

    func run() async throws {
        bootstrapLogging(options.logLevel)
        do {
            let driver = try await options.createDriver()
            let library = driver.library
            var info = (try? JSONValue(parsing: driver.describeJSON))?.objectValue ?? [:]
            info["file"] = .string(library.path)
            info["abiVersion"] = .string("\(library.abiVersion >> 16).\(library.abiVersion & 0xFFFF)")
            info["capabilities"] = .array(driver.capabilities.names.map { .string($0) })
            info["hibernate"] = .string(driver.capabilities.hibernateKind)
            await driver.destroy()
            print(JSONValue.object(info).jsonString())
        } catch {
            error.exit()
        }
    }
}
