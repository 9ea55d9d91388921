import AgentHost
import ArgumentParser
import DriverModel

struct DriverCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver-check",
        abstract: "Run a driver through the conformance kit, over the real ABI.",
        discussion: """
            Checks negotiation, the mandatory operations, describe, health, the session \
            lifecycle (start, get, hibernate, wake, stop), idempotency, rejection of invalid \
            input without side effects, metrics, logs (tail, follow, cancel, backpressure), \
            concurrent sessions, recovery by a new instance, that every callback comes exactly \
            once, and that the driver writes nothing to stdout. Replies are validated against \
            the published JSON Schemas. Checks for capabilities the driver does not declare are \
            skipped. Sessions it starts are stopped at the end, even when checks fail.

            The image must exist on the platform (the kit never assumes a registry).
            Exit status: 0 all checks passed, 1 a check failed, 2 the driver could not be loaded.
            """)

    @OptionGroup var options: DriverOptions

    @Option(help: "The image sessions are started from.")
    var image = "busybox:latest"

    @Option(help: "The template port the sessions publish (as endpoint \"http\").")
    var port = 8080

    @Option(help: "Seconds one driver operation may take.")
    var timeout = 120.0

    @Option(help: "Sessions the concurrency check starts at once.")
    var concurrent = 4

    @Option(name: .customLong("label"), help: ArgumentHelp("A label (KEY=VALUE) added to every session the kit starts; repeatable.", valueName: "key=value"))
    var labels: [String] = []

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1–65535") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard (1...64).contains(concurrent) else { throw ValidationError("--concurrent must be 1–64") }
        for label in labels where !label.contains("=") {
            throw ValidationError("--label \(label): expected KEY=VALUE")
        }
    }

    func run() async throws {
        bootstrapLogging(options.logLevel)
        let report: ConformanceReport
        do {
            var kitOptions = ConformanceOptions()
            kitOptions.configuration = try options.configuration()
            kitOptions.image = image
            kitOptions.port = port
            kitOptions.operationTimeout = timeout
            kitOptions.concurrentSessions = concurrent
            kitOptions.captureStdout = true
            for label in labels {
                let parts = label.split(separator: "=", maxSplits: 1)
                kitOptions.labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            report = await ConformanceKit(library: try options.loadLibrary(), options: kitOptions).run()
        } catch {
            error.exit()
        }
        // The driver's messages may quote its credentials; a report gets pasted into tickets.
        print(ProcessLog.redactor.redact(report.render()))
        if !report.succeeded { throw ExitCode.failure }
    }
}
