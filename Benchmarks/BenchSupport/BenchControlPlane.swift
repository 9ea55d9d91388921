import DevControlPlane
import Logging

extension Bench {
    /// A dev control plane that approves every agent and logs only errors, started.
    public static func controlPlane(
        _ configure: @Sendable (inout DevControlPlaneConfiguration) -> Void = { _ in }
    ) async throws -> (controlPlane: DevControlPlane, endpoints: DevControlPlaneEndpoints, apiKey: String) {
        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = true
        configure(&configuration)
        var quiet = Logger(label: "dev-control-plane")
        quiet.logLevel = .error
        let controlPlane = DevControlPlane(configuration: configuration, logger: quiet)
        return (controlPlane, try await controlPlane.start(), configuration.apiKey)
    }

    /// Only errors on stderr: the figures go to stdout.
    public static func quietLogs() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
    }
}
