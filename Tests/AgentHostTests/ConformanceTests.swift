import AgentHost
import DriverModel
import Foundation
import Testing

/// The conformance kit passes the drivers we ship, and fails drivers that break the rules.
@Suite struct ConformanceTests {
    func checkReport(_ path: String, config: String = "{}") async throws -> ConformanceReport {
        var options = ConformanceOptions()
        options.configuration = Array(config.utf8)
        options.operationTimeout = 20
        return await ConformanceKit(library: try DriverLibrary.load(path: path), options: options).run()
    }

    @Test(arguments: ["mock", "sample"])
    func shippedDriversPass(_ name: String) async throws {
        let report = try await checkReport(TestSupport.product(name))
        #expect(report.succeeded, "\(report.render())")
        #expect(report.passed >= 18)
    }

    @Test func mockWithMemoryHibernationRunsThatCheckInstead() async throws {
        let report = try await checkReport(TestSupport.product("mock"), config: #"{"hibernate":"memory"}"#)
        #expect(report.succeeded, "\(report.render())")
        #expect(report.results.first { $0.name == "hibernate-wake-memory" }?.outcome == .passed)
        #expect(report.results.first { $0.name == "hibernate-wake" }?.outcome == .skipped("driver does not declare hibernate-disk"))
    }

    @Test func mockWithoutHibernationSkipsIt() async throws {
        let report = try await checkReport(TestSupport.product("mock"), config: #"{"hibernate":"none"}"#)
        #expect(report.succeeded, "\(report.render())")
        #expect(report.skipped == 3)  // both hibernation checks, and no-stdout (off in-process)
    }

    /// A vendor needs nothing of ours but the header: the mock built with one gcc line passes.
    @Test func mockBuiltWithPlainGCCPasses() async throws {
        let mockDirectory = "\(TestSupport.packageRoot)/Plugins/Mock"
        let sources = try FileManager.default.contentsOfDirectory(atPath: mockDirectory)
            .filter { $0.hasSuffix(".c") }.map { "\(mockDirectory)/\($0)" }
        let output = try TestSupport.temporaryDirectory() + "/mock.so"
        try TestSupport.gccShared(sources, output: output)
        let exported = try TestSupport.run("/usr/bin/nm", ["-D", "--defined-only", output]).stdout
            .split(separator: "\n").filter { $0.contains(" T ") }.map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(exported == ["streamspace_driver_entry_v1"], "only the entry symbol is exported")
        let report = try await checkReport(output)
        #expect(report.succeeded, "\(report.render())")
    }

    @Test func aDriverThatBlocksDespiteNonblockingCallsFailsR3() async throws {
        // The mock sleeps its delays in the call; forced to declare nonblocking-calls, it lies.
        let report = try await checkReport(TestSupport.product("mock"), config: #"{"nonblockingCalls":true,"startDelayMs":60}"#)
        guard case .failed(let why)? = report.results.first(where: { $0.name == "nonblocking-calls" })?.outcome else {
            Issue.record("nonblocking-calls should fail: \(report.render())")
            return
        }
        #expect(why.contains("start took"), "\(why)")
        let honest = try await checkReport(TestSupport.product("mock"), config: #"{"startDelayMs":60}"#)
        let skipped = honest.results.first { $0.name == "nonblocking-calls" }.map { if case .skipped = $0.outcome { true } else { false } }
        #expect(skipped == true, "without the bit the check does not apply")
        let fast = try await checkReport(TestSupport.product("mock"))
        #expect(fast.results.first { $0.name == "nonblocking-calls" }?.outcome == .passed)
    }

    @Test func injectedFailuresAreReportedAsFailures() async throws {
        let report = try await checkReport(TestSupport.product("mock"), config: #"{"fail":{"start":"UNAVAILABLE"}}"#)
        #expect(!report.succeeded)
        let lifecycle = report.results.first { $0.name == "lifecycle" }
        guard case .failed(let why)? = lifecycle?.outcome else {
            Issue.record("lifecycle should fail: \(report.render())")
            return
        }
        #expect(why.contains("expected OK, got UNAVAILABLE"))
    }

    @Test func doubleRepliesAreCaught() async throws {
        let report = try await checkReport(try LoaderTests.brokenDriver(7))
        #expect(report.results.first { $0.name == "callbacks-exactly-once" }.map { if case .failed = $0.outcome { true } else { false } } == true)
    }

    /// Through the CLI: capturing stdout is process-wide, so only the command turns it on.
    @Test func stdoutWritesAreCaught() throws {
        let result = try TestSupport.agent(["driver-check", "--driver", try LoaderTests.brokenDriver(8), "--timeout", "10"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL  no-stdout [R9]: the driver wrote"))
        #expect(result.stdout.contains("hello from a driver that prints"))
        #expect(!result.stdout.hasPrefix("hello"), "the driver's bytes were captured, not printed")
    }

    /// The CLI's report ends with the runner-style summary line, and its exit status follows it.
    @Test func cliReport() throws {
        let pass = try TestSupport.agent(["driver-check", "--driver", "mock", "--timeout", "20"])
        #expect(pass.status == 0, "\(pass.stdout)\(pass.stderr)")
        #expect(pass.stdout.hasPrefix("driver-check: mock ("))
        #expect(pass.stdout.split(separator: "\n").last?.hasPrefix("driver-check: ") == true)
        #expect(pass.stdout.contains(" passed, 0 failed, "))

        let fail = try TestSupport.agent(["driver-check", "--driver", "mock", "--timeout", "20",
                                          "--driver-config", #"{"fail":{"get":"INTERNAL"}}"#])
        #expect(fail.status == 1)
        #expect(fail.stdout.contains("FAIL  lifecycle"))
    }
}
