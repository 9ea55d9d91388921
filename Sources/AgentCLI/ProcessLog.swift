import AgentHost
import Glibc

/// What the agent process writes on stderr outside the log handler: the lines that stop it
/// (a usage error, a bad value, a driver that does not load, a refusal). They come out in the
/// `--log-format` asked for and redacted like every log line, so a log shipper reading JSON
/// never meets a line it cannot parse, and no secret slips out on the way down.
enum ProcessLog {
    /// The one redactor of the process: the log handler, the links and these lines share it.
    static let redactor = Redactor()

    /// `--log-format` as written in argv. Read before ArgumentParser parses (its own errors
    /// must come out in that format too), the last one winning as it does for ArgumentParser.
    static let format: LogFormatOption = format(in: Array(CommandLine.arguments.dropFirst()))

    static func format(in arguments: [String]) -> LogFormatOption {
        var format = LogFormatOption.text
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            if argument == "--log-format", index + 1 < arguments.count {
                format = LogFormatOption(rawValue: arguments[index + 1]) ?? format
                index += 1
            } else if argument.hasPrefix("--log-format=") {
                format = LogFormatOption(rawValue: String(argument.dropFirst("--log-format=".count))) ?? format
            }
            index += 1
        }
        return format
    }

    /// The API key as given in argv or the environment, known before anything can echo it
    /// (ArgumentParser's errors quote values; a driver's error may quote its config).
    static func learnSecrets(arguments: [String], environment: [String: String]) {
        redactor.add(environment["AGENT_API_KEY"])
        for (index, argument) in arguments.enumerated() {
            if argument == "--api-key", index + 1 < arguments.count { redactor.add(arguments[index + 1]) }
            if argument.hasPrefix("--api-key=") { redactor.add(String(argument.dropFirst("--api-key=".count))) }
        }
    }

    /// The lines that stop the agent, one per problem: `agent: error: …` for people, one JSON
    /// object each (level `critical`) for log shippers.
    static func fatal(_ problems: [String]) {
        for problem in problems {
            let line = redactor.redact(problem)
            switch format {
            case .text: printError("agent: error: " + line.split(whereSeparator: \.isNewline).joined(separator: " "))
            case .json: JSONLogLine.write(level: "critical", label: "streamspace.agent", message: line, source: "AgentCLI")
            }
        }
    }
}
