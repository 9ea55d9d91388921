import ArgumentParser
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

/// Logs go to stderr: stdout belongs to command output (reports, describe JSON).
func bootstrapLogging(_ level: LogLevelOption) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level.level
        return handler
    }
}
