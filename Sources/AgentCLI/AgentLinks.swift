import AgentHost
import Logging
import ServiceLifecycle

/// Every driver's link in one service group: each its own registration, connection and
/// heartbeats. SIGTERM or SIGINT stops them all; one refused for good stops them all too, so a
/// supervisor sees the failure (sessions keep running either way).
struct AgentLinks {
    let drivers: [LoadedDriver]
    let configurations: [LinkConfiguration]
    let logger: Logger
    /// Where the metrics and health endpoints listen; nil: off.
    var metricsListen: (host: String, port: Int)?

    func run() async throws {
        let several = drivers.count > 1
        let services = zip(drivers, configurations).map { loaded, configuration in
            // With several agents in one log, every line says which one it is about.
            var linkLogger = logger
            if several { linkLogger[metadataKey: "agent"] = "\(configuration.agentID)" }
            let link = AgentLink(configuration: configuration, driver: loaded.driver, logger: linkLogger, redactor: ProcessLog.redactor)
            return DriverLinkService(link: link,
                              failurePrefix: several ? "driver \(loaded.shown), agent \(configuration.agentID): " : "")
        }
        var configured: [ServiceGroupConfiguration.ServiceConfiguration] = services.map {
            .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        if let metricsListen {
            let server = ObservabilityServer(host: metricsListen.host, port: metricsListen.port, links: services.map(\.link),
                                             drivers: drivers.map(\.driver), logger: logger)
            configured.append(.init(service: server.application(), successTerminationBehavior: .gracefullyShutdownGroup,
                                    failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: configured,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let outcome: Result<Void, any Error>
        do {
            try await group.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for loaded in drivers { await loaded.driver.destroy() }
        try outcome.get()
    }
}

/// One driver's link as a service; a refusal becomes the agent's error line, naming the driver
/// and agent when several run (with one, the line reads as it always has).
struct DriverLinkService: Service {
    let link: AgentLink
    let failurePrefix: String

    func run() async throws {
        do {
            try await link.run()
        } catch let error as LinkError {
            throw CLIError(failurePrefix + error.description, exitCode: 1)
        }
    }
}
