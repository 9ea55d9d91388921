import AgentHost
import ArgumentParser
import DriverModel
import Glibc
import Logging

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warning, error

    var level: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}

enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    /// swift-log's line format, for people.
    case text
    /// One JSON object per line (time, level, label, message, metadata), for log shippers.
    case json
}

/// Logs go to stderr: stdout belongs to command output (reports, describe JSON). Every line,
/// the driver's too, passes through the process's redactor first.
func bootstrapLogging(_ level: LogLevelOption, format: LogFormatOption = .text) {
    LoggingSystem.bootstrap { label in
        var handler: any LogHandler = switch format {
        case .text: StreamLogHandler.standardError(label: label)
        case .json: JSONLogHandler(label: label)
        }
        handler.logLevel = level.level
        return RedactingLogHandler(handler, redactor: ProcessLog.redactor)
    }
}

/// One JSON object per line on stderr: `{"time","level","label","message",…metadata}`.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            fields[key] = value.description
        }
        if let error = event.error { fields["error"] = String(describing: error) }
        JSONLogLine.write(level: event.level.rawValue, label: label, message: event.message.description,
                          source: event.source, fields: fields)
    }
}

/// Writes one log line as one JSON object; the log handler and the start-up's fatal lines
/// (written before or without logging) share it, so every line on stderr has one shape.
enum JSONLogLine {
    static func write(level: String, label: String, message: String, source: String, fields: [String: String] = [:]) {
        var object: [String: JSONValue] = [
            "time": .string(RFC3339.now()), "level": .string(level), "label": .string(label),
            "message": .string(message), "source": .string(source),
        ]
        for (key, value) in fields where object[key] == nil { object[key] = .string(value) }
        // One write(2) per line: lines from many threads never interleave.
        var text = JSONValue.object(object).jsonString() + "\n"
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
