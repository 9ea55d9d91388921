import Logging

/// Wraps any log handler so that no line carries a secret: the message and every metadata
/// value pass through the redactor first. A line is built from texts of many origins (a
/// server's body, a close reason, a driver's message); redacting here, once per line, is the
/// one place none can slip past.
public struct RedactingLogHandler: LogHandler {
    public var wrapped: any LogHandler
    public let redactor: Redactor

    public init(_ wrapped: any LogHandler, redactor: Redactor) {
        self.wrapped = wrapped
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(redactor.redact(event.message.description))"
        // The handler's own metadata is redacted too: it is set from outside texts as well.
        let merged = wrapped.metadata.merging(event.metadata ?? [:]) { _, new in new }
        event.metadata = merged.isEmpty ? nil : merged.mapValues(redact)
        if let error = event.error { event.error = RedactedError(description: redactor.redact(String(describing: error))) }
        var clean = wrapped
        clean.metadata = [:]
        clean.log(event: event)
    }

    private func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(redactor.redact(text))
        case .stringConvertible(let convertible): .string(redactor.redact(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let members): .dictionary(members.mapValues(redact))
        }
    }
}

extension Logger {
    /// This logger with every line redacted by `redactor` (itself if it already is).
    public func redacting(with redactor: Redactor) -> Logger {
        if let handler = handler as? RedactingLogHandler, handler.redactor === redactor { return self }
        var logger = self
        logger.handler = RedactingLogHandler(handler, redactor: redactor)
        return logger
    }
}

/// An error of a log line, as its redacted description.
struct RedactedError: Error, CustomStringConvertible {
    let description: String
}
