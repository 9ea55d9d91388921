/// Why a driver could not be loaded or created. Each case prints as one line that names the
/// file, the symbol or the versions involved, so an operator can act without a debugger.
public struct DriverLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case notFound, unsafePermissions, notLoadable, missingEntry, incompatible,
             missingOperation, createFailed
    }

    public let kind: Kind
    public let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
