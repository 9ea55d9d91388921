import ArgumentParser

/// The driver options of `agent run`: one driver, or several, each its own agent (the Control
/// Plane maps one agent id to one platform).
struct RunDriverOptions: ParsableArguments {
    @Option(name: .customLong("driver"), help: ArgumentHelp(
        "A driver: a path to a .so file, or a name looked up as NAME.so / libNAME.so (shipped: docker, lxd, kubernetes, mock, sample). Repeat it to load several, each registering as its own agent.",
        valueName: "path-or-name"))
    var drivers: [String]

    @Option(name: .customLong("driver-config"), help: ArgumentHelp(
        "The driver's JSON config: a file, or inline JSON starting with '{'. With several drivers: NAME=FILE-OR-JSON, once per driver (NAME: its --driver value as written, or its described name). Default: {}.",
        valueName: "file-or-json"))
    var driverConfigs: [String] = []

    @Option(name: .customLong("driver-agent-id"), help: ArgumentHelp(
        "With several drivers: NAME=ID gives driver NAME its own agent id; repeatable. Default: <agent-id>-<the driver's described name>.",
        valueName: "name=id"))
    var driverAgentIds: [String] = []

    @Option(name: .customLong("driver-max-sessions"), help: ArgumentHelp(
        "With several drivers: NAME=N, the most sessions driver NAME takes and reports; repeatable. Default: an even split of what --max-sessions leaves after the drivers given one (10 and two drivers: 5 each). --max-sessions stays the host-wide limit, enforced across all drivers.",
        valueName: "name=n"))
    var driverMaxSessions: [String] = []

    @Option(name: .customLong("driver-max-cpu"), help: ArgumentHelp(
        "With several drivers: NAME=QUANTITY, the CPU capacity driver NAME reports, e.g. docker=4; repeatable. Default: an even split of what --max-cpu leaves. The drivers' figures may not add up to more than --max-cpu.",
        valueName: "name=quantity"))
    var driverMaxCpu: [String] = []

    @Option(name: .customLong("driver-max-memory"), help: ArgumentHelp(
        "With several drivers: NAME=QUANTITY, the memory capacity driver NAME reports, e.g. lxd=16Gi; repeatable. Default: an even split (in whole MiB) of what --max-memory leaves. The drivers' figures may not add up to more than --max-memory.",
        valueName: "name=quantity"))
    var driverMaxMemory: [String] = []

    @Option(name: .long, help: "Log level for the agent's and the driver's log lines (on stderr): trace, debug, info, warning, error.")
    var logLevel: LogLevelOption = .warning

    @Option(name: .long, help: "Log line format on stderr: text (for people) or json (one object per line, for log shippers).")
    var logFormat: LogFormatOption = .text

    /// What was asked of each driver, checked before anything is loaded: every problem at once.
    func requests() throws(CLIError) -> DriverRequests {
        var problems: [String] = []
        var seen: Set<String> = []
        for driver in drivers where !seen.insert(driver).inserted {
            problems.append("--driver \(driver) is given twice: each driver is loaded once, as its own agent")
        }
        var requests = DriverRequests(drivers: drivers.map { DriverRequest(argument: $0) })
        if drivers.count == 1 {
            // One driver: the plain form, exactly as before.
            if driverConfigs.count > 1 {
                problems.append("--driver-config is given \(driverConfigs.count) times: one driver takes one config")
            }
            if !driverAgentIds.isEmpty {
                problems.append("--driver-agent-id is for several drivers: with one driver, --agent-id is its agent id")
            }
            requests.drivers[0].configuration = driverConfigs.first
        } else {
            let configs = Self.named(driverConfigs, flag: "--driver-config", valueKind: "FILE-OR-JSON", problems: &problems)
            let ids = Self.named(driverAgentIds, flag: "--driver-agent-id", valueKind: "ID", problems: &problems)
            requests.pendingConfigs = requests.assign(configs, to: \.configuration)
            requests.pendingAgentIDs = requests.assign(ids, to: \.agentID)
        }
        if !problems.isEmpty { throw CLIError(problems) }
        return requests
    }

    /// The --driver-max-* arguments as NAME=VALUE (matched to loaded drivers later, since a
    /// NAME may be a described name); with one driver they are a problem: --max-* is its own.
    func capacityValues(several: Bool, problems: inout [String]) -> [NamedValue] {
        let flags = [("--driver-max-sessions", driverMaxSessions, "N"), ("--driver-max-cpu", driverMaxCpu, "QUANTITY"),
                     ("--driver-max-memory", driverMaxMemory, "QUANTITY")]
        guard several else {
            for (flag, values, _) in flags where !values.isEmpty {
                problems.append("\(flag) is for several drivers: with one driver, --\(flag.dropFirst("--driver-".count)) is its capacity")
            }
            return []
        }
        return flags.flatMap { flag, values, kind in Self.named(values, flag: flag, valueKind: kind, problems: &problems) }
    }

    /// Splits NAME=VALUE arguments; a missing NAME or a NAME given twice is a problem.
    private static func named(_ arguments: [String], flag: String, valueKind: String, problems: inout [String]) -> [NamedValue] {
        var values: [NamedValue] = []
        for argument in arguments {
            guard !argument.hasPrefix("{"), let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                let shown = argument.hasPrefix("{") ? "(inline)" : argument
                problems.append("\(flag) \(shown): with several drivers, say which driver it is for: \(flag) NAME=\(valueKind)")
                continue
            }
            let value = NamedValue(flag: flag, name: String(argument[..<equals]), value: String(argument[argument.index(after: equals)...]))
            if values.contains(where: { $0.name == value.name }) {
                problems.append("\(value.shown) is given twice: one per driver")
            } else {
                values.append(value)
            }
        }
        return values
    }
}

/// One `--driver` of `agent run` and what was addressed to it.
struct DriverRequest {
    /// The --driver value as written.
    let argument: String
    /// --driver-config's FILE-OR-JSON; nil: `{}`.
    var configuration: String?
    /// --driver-agent-id's ID; nil: the default.
    var agentID: String?
}

/// A `NAME=VALUE` argument addressed to one driver.
struct NamedValue {
    let flag: String
    let name: String
    let value: String

    /// How an error line shows it: a config's value is never echoed (it may hold credentials).
    var shown: String { flag == "--driver-config" ? "\(flag) \(name)=…" : "\(flag) \(name)=\(value)" }
}

/// The drivers `agent run` loads, and NAME=VALUE arguments whose NAME is no --driver as written
/// (a driver's described name, known only once it is loaded; or a mistake).
struct DriverRequests {
    var drivers: [DriverRequest]
    var pendingConfigs: [NamedValue] = []
    var pendingAgentIDs: [NamedValue] = []

    /// Gives each value to the driver written as its NAME; returns those that match none.
    mutating func assign(_ values: [NamedValue], to field: WritableKeyPath<DriverRequest, String?>) -> [NamedValue] {
        values.filter { value in
            guard let index = drivers.firstIndex(where: { $0.argument == value.name }) else { return true }
            drivers[index][keyPath: field] = value.value
            return false
        }
    }
}
