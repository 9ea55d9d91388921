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

/// Logs go to stderr: stdout belongs to command output (reports, describe JSON).
func bootstrapLogging(_ level: LogLevelOption, format: LogFormatOption = .text) {
    LoggingSystem.bootstrap { label in
        switch format {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level.level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level.level
            return handler
        }
    }
}

/// One JSON object per line on stderr: `{"time","level","label","message",…metadata}`. The
/// agent never puts a secret in a message or metadata, whatever the format.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        var object: [String: JSONValue] = [
            "time": .string(RFC3339.now()), "level": .string(level.rawValue), "label": .string(label),
            "message": .string(message.description), "source": .string(source),
        ]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { _, new in new }) where object[key] == nil {
            object[key] = .string(value.description)
        }
        // One write(2) per line: lines from many threads never interleave.
        var text = JSONValue.object(object).jsonString() + "\n"
        text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }
}
