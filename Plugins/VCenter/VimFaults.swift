import DriverModel
import SOAPKit

/// vim25's fault kinds (the detail's type, as SOAPFault reads it) and what each means for the
/// host: only what can pass by itself is temporary. Kinds not named here fall back to SOAP's
/// own split (a client fault is INVALID_ARGUMENT, anything else INTERNAL).
enum VimFaults {
    static let codes: [String: DriverStatusCode] = [
        // Credentials and sessions: no retry will fix a wrong password.
        "InvalidLogin": .failedPrecondition, "NotAuthenticated": .failedPrecondition, "NoPermission": .failedPrecondition,
        // References and names.
        "ManagedObjectNotFound": .notFound, "NotFound": .notFound,
        "DuplicateName": .alreadyExists, "FileAlreadyExists": .alreadyExists, "AlreadyExists": .alreadyExists,
        // The object is in the wrong state for the call.
        "InvalidPowerState": .failedPrecondition, "InvalidState": .failedPrecondition,
        // Busy or unreachable right now.
        "TaskInProgress": .unavailable, "HostCommunication": .unavailable, "HostNotConnected": .unavailable,
        "RequestCanceled": .cancelled,
        // Used up now; may free up.
        "InsufficientResourcesFault": .resourceExhausted, "NoDiskSpace": .resourceExhausted,
        // The request itself is wrong.
        "InvalidArgument": .invalidArgument, "InvalidRequest": .invalidArgument, "InvalidType": .invalidArgument,
        "InvalidProperty": .invalidArgument, "MethodNotFound": .unsupported, "NotSupported": .unsupported,
    ]

    static func error(_ fault: SOAPFault, _ context: String) -> DriverError {
        fault.error(context, codes: codes)
    }
}
