import DriverModel
import Logging
import Synchronization

/// `agent driver-check`: runs any driver through the real ABI, the way csi-sanity and Nomad's
/// driver harness do. Checks are skipped by the capabilities the driver declares, never by a
/// hand-kept list, and each names the header rule it proves.
public struct ConformanceOptions: Sendable {
    /// The driver config (a JSON object).
    public var configuration: [UInt8] = Array("{}".utf8)
    /// The image sessions are started from; it must exist on the platform (CI has no registry).
    public var image = "busybox:latest"
    /// The template port sessions publish, named "http".
    public var port = 8080
    /// How long one driver operation may take before the check fails.
    public var operationTimeout = 120.0
    /// How many sessions the concurrency check starts at once.
    public var concurrentSessions = 4
    /// Extra labels for every session the kit starts (drivers' test hooks).
    public var labels: [String: String] = [:]
    /// Redirect file descriptor 1 during the run to catch a driver writing to stdout (R9). It is
    /// process-wide: only a process that runs one kit and prints nothing else meanwhile (the
    /// `agent driver-check` command) should turn it on.
    public var captureStdout = false

    public init() {}
}

public struct ConformanceKit: Sendable {
    let library: DriverLibrary
    let options: ConformanceOptions
    let logger: Logger

    public init(library: DriverLibrary, options: ConformanceOptions = ConformanceOptions(),
                logger: Logger = Logger(label: "streamspace.driver-check")) {
        self.library = library
        self.options = options
        self.logger = logger
    }

    public func run() async -> ConformanceReport {
        let stdoutGuard = options.captureStdout ? StdoutGuard() : nil
        var report = ConformanceReport(driverPath: library.path, driverName: library.path)

        let driver: Driver
        do {
            driver = try await Driver.create(library, configuration: options.configuration, logger: logger)
        } catch {
            _ = stdoutGuard?.finish()
            report.results.append(.init(name: "create", rule: nil, outcome: .failed(error.message), seconds: 0))
            return report
        }
        report.driverName = driver.description.name
        let context = CheckContext(driver: driver, options: options, logger: logger)

        for check in Self.checks {
            if let missing = check.requires, !driver.capabilities.contains(missing.capability) {
                report.results.append(.init(name: check.name, rule: check.rule,
                                            outcome: .skipped("driver does not declare \(missing.name)"), seconds: 0))
                continue
            }
            logger.debug("driver-check: \(check.name)")
            let started = ContinuousClock.now
            let outcome: ConformanceReport.Outcome
            do {
                try await withDeadline(options.operationTimeout * 3, check.name) { try await check.body(context) }
                outcome = .passed
            } catch {
                outcome = .failed("\(error)")
            }
            report.results.append(.init(name: check.name, rule: check.rule, outcome: outcome,
                                        seconds: (ContinuousClock.now - started).seconds))
        }

        logger.debug("driver-check: stopping the sessions the checks started")
        await context.cleanUp()
        logger.debug("driver-check: destroy")
        let current = context.driver
        let started = ContinuousClock.now
        let destroyed = (try? await withDeadline(options.operationTimeout, "destroy") { await current.destroy() }) != nil
        report.results.append(.init(name: "destroy", rule: "R8",
                                    outcome: destroyed ? .passed : .failed("destroy did not return within \(Int(options.operationTimeout)) s"),
                                    seconds: (ContinuousClock.now - started).seconds))

        // Late replies may still be on their way: give them a moment to be counted.
        try? await Task.sleep(for: .milliseconds(100))
        let callbackProblems = context.earlierViolations + current.violations
        report.results.append(.init(name: "callbacks-exactly-once", rule: "R2",
                                    outcome: callbackProblems.isEmpty ? .passed : .failed(callbackProblems.joined(separator: "; ")),
                                    seconds: 0))

        if let stdoutGuard {
            let written = stdoutGuard.finish()
            let sample = String(decoding: written.prefix(120), as: UTF8.self)
            report.results.append(.init(name: "no-stdout", rule: "R9",
                                        outcome: written.isEmpty ? .passed : .failed("the driver wrote \(written.count) bytes to stdout, starting \(sample.debugDescription)"),
                                        seconds: 0))
        } else {
            report.results.append(.init(name: "no-stdout", rule: "R9",
                                        outcome: .skipped(options.captureStdout ? "could not capture stdout" : "stdout capture is off (it is on in agent driver-check)"),
                                        seconds: 0))
        }
        return report
    }
}

/// A check failed; the message says what was expected and what came.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CheckFailure(message()) }
}

extension Duration {
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
