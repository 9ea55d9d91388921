import Logging

/// The host's own log for driver contract violations noticed outside any one driver's context.
enum HostLog {
    static let logger = Logger(label: "streamspace.agent.host")

    static func driverBug(_ message: String) {
        logger.warning("driver contract violation: \(message)")
    }
}
