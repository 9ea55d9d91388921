import AgentHost

/// A driver `agent run` loaded, with the agent id it was given by name (if any).
struct LoadedDriver {
    /// The --driver value as written.
    let argument: String
    var driver: Driver
    var agentID: String?
    /// Whether a --driver-config reached it (a second one by its described name is refused).
    var configured: Bool

    var name: String { driver.description.name }

    /// How error lines name it: as written, and by its described name when that differs.
    var shown: String { argument == name ? argument : "\(argument) (\(name))" }

    func answers(to name: String) -> Bool { argument == name || self.name == name }
}

/// Loads the drivers of `agent run`, then matches what was addressed to a described name. Every
/// problem is one line; on any, the drivers created so far are destroyed and nothing connects.
enum DriverLoader {
    static func load(_ requests: DriverRequests) async throws(CLIError) -> [LoadedDriver] {
        var drivers: [LoadedDriver] = []
        var problems: [String] = []
        let several = requests.drivers.count > 1
        for request in requests.drivers {
            do throws(CLIError) {
                let library = try DriverLoading.library(request.argument)
                let configuration = try DriverLoading.configuration(request.configuration, for: several ? request.argument : nil)
                let driver = try await DriverLoading.create(library, configuration: configuration)
                drivers.append(LoadedDriver(argument: request.argument, driver: driver, agentID: request.agentID,
                                            configured: request.configuration != nil))
            } catch {
                problems += error.problems
            }
        }
        if problems.isEmpty, several {
            problems += sameNames(drivers)
        }
        if problems.isEmpty {
            problems += await matchDescribedNames(requests, &drivers)
        } else if let config = requests.pendingConfigs.first {
            // A driver that failed above may be the one a described name meant.
            problems.append("\(config.shown): no --driver is written \(config.name), and a driver's described name is known only once it has loaded")
        }
        guard problems.isEmpty else {
            for loaded in drivers { await loaded.driver.destroy() }
            throw CLIError(problems)
        }
        return drivers
    }

    /// Two drivers answering to one name: a NAME=VALUE could not say which, nor could agent ids.
    private static func sameNames(_ drivers: [LoadedDriver]) -> [String] {
        var problems: [String] = []
        for (index, first) in drivers.enumerated() {
            for second in drivers[(index + 1)...] {
                guard let name = [second.argument, second.name].first(where: first.answers(to:)) else { continue }
                problems.append("--driver \(first.argument) and --driver \(second.argument) are both named \(name): load each driver once (each is its own agent)")
            }
        }
        return problems
    }

    /// NAME=VALUE arguments whose NAME is a described name. A config found this way means
    /// creating that driver again with it (it was created with `{}` to learn its name).
    private static func matchDescribedNames(_ requests: DriverRequests, _ drivers: inout [LoadedDriver]) async -> [String] {
        var problems: [String] = []
        for value in requests.pendingConfigs + requests.pendingAgentIDs {
            guard let index = drivers.firstIndex(where: { $0.name == value.name }) else {
                problems.append("\(value.shown): no loaded driver is named \(value.name) (loaded: \(drivers.map(\.shown).joined(separator: ", ")))")
                continue
            }
            let isConfig = value.flag == "--driver-config"
            guard isConfig ? !drivers[index].configured : drivers[index].agentID == nil else {
                problems.append("\(value.shown): driver \(drivers[index].shown) is given one already, by its --driver value")
                continue
            }
            guard isConfig else {
                drivers[index].agentID = value.value
                continue
            }
            let configuration: [UInt8]
            do throws(CLIError) { configuration = try DriverLoading.configuration(value.value, for: value.name) } catch {
                problems += error.problems
                continue
            }
            let library = drivers[index].driver.library
            await drivers[index].driver.destroy()
            do throws(CLIError) {
                drivers[index].driver = try await DriverLoading.create(library, configuration: configuration)
                drivers[index].configured = true
            } catch {
                problems += error.problems
                drivers.remove(at: index)   // its first instance is destroyed already
            }
        }
        return problems
    }
}
