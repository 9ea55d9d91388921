import AgentHost
import Foundation
import Testing

/// Every way loading a driver can fail gives one clear line naming the file and the symbol,
/// member or versions at fault — and never a crash.
@Suite struct LoaderTests {
    /// Builds the fixture driver with one defect (Tests/Fixtures/drivers/broken_driver.c).
    static func brokenDriver(_ defect: Int) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        let output = "\(directory)/broken\(defect).so"
        try TestSupport.gccShared(["\(TestSupport.packageRoot)/Tests/Fixtures/drivers/broken_driver.c"],
                                  output: output, defines: ["DEFECT=\(defect)"])
        return output
    }

    func loadError(_ path: String) -> DriverLoadError? {
        do {
            _ = try DriverLibrary.load(path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func missingFile() throws {
        let error = try #require(loadError("/nonexistent/driver.so"))
        #expect(error.kind == .notFound)
        #expect(error.message.contains("/nonexistent/driver.so"))
    }

    @Test func notASharedObject() throws {
        let path = try TestSupport.temporaryDirectory() + "/text.so"
        try "just text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(loadError(path))
        #expect(error.kind == .notLoadable)
        #expect(error.message.contains(path) && error.message.contains("cannot load it as a shared object"))
    }

    @Test func groupOrWorldWritableFileIsRefused() throws {
        let path = try Self.brokenDriver(0)  // no defect: a good driver
        for mode in [0o664, 0o646] {
            chmod(path, mode_t(mode))
            let error = try #require(loadError(path))
            #expect(error.kind == .unsafePermissions)
            #expect(error.message.contains("writable by group or others") && error.message.contains("chmod go-w"))
        }
        chmod(path, 0o644)
        #expect(loadError(path) == nil)
    }

    @Test func missingEntrySymbol() throws {
        let path = try Self.brokenDriver(1)
        let error = try #require(loadError(path))
        #expect(error.kind == .missingEntry)
        #expect(error.message == "driver \(path): no entry symbol streamspace_driver_entry_v1 — not a StreamSpace driver, or built for another ABI major")
    }

    @Test func driverRefusingTheHost() throws {
        let path = try Self.brokenDriver(2)
        let error = try #require(loadError(path))
        #expect(error.kind == .incompatible)
        #expect(error.message.contains("refused this host") && error.message.contains("ABI 1.0–1.0"))
    }

    @Test func driverOfAnotherMajor() throws {
        let path = try Self.brokenDriver(3)
        let error = try #require(loadError(path))
        #expect(error.kind == .incompatible)
        #expect(error.message == "driver \(path): implements ABI 2.0, the agent accepts ABI 1.0–1.0")
    }

    @Test func missingMandatoryOperation() throws {
        let path = try Self.brokenDriver(4)
        let error = try #require(loadError(path))
        #expect(error.kind == .missingOperation)
        #expect(error.message == "driver \(path): missing mandatory operation start_session (ssd_driver_api.start_session is NULL)")
    }

    @Test func tableSmallerThanABI10() throws {
        let path = try Self.brokenDriver(5)
        let error = try #require(loadError(path))
        #expect(error.kind == .incompatible)
        #expect(error.message.contains("its ssd_driver_api is 16 bytes, ABI 1.0 needs at least 136"))
    }

    @Test func capabilityWithoutItsOperation() async throws {
        let library = try DriverLibrary.load(path: try Self.brokenDriver(6))
        do {
            _ = try await Driver.create(library)
            Issue.record("create should fail")
        } catch {
            #expect(error.kind == .missingOperation)
            #expect(error.message.contains("declares capability hibernate-disk but ssd_driver_api.hibernate_session is NULL"))
        }
    }

    @Test func createFailureCarriesTheDriversMessage() async throws {
        let library = try DriverLibrary.load(path: TestSupport.product("mock"))
        do {
            _ = try await Driver.create(library, configuration: Array(#"{"startDelayMS": 5}"#.utf8))
            Issue.record("create should fail")
        } catch {
            #expect(error.kind == .createFailed)
            #expect(error.message.hasPrefix("driver \(library.path): create failed: INVALID_ARGUMENT: "))
            #expect(error.message.contains("startDelayMS"))
        }
    }

    @Test func namesResolveAlongTheSearchPath() throws {
        let directory = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(atPath: TestSupport.product("mock"), toPath: "\(directory)/vendor.so")
        let path = DriverSearchPath(directories: ["/nonexistent", directory])
        #expect(try path.resolve("vendor") == "\(directory)/vendor.so")
        #expect(throws: DriverLoadError.self) { try path.resolve("/abs/missing.so") }
        #expect(throws: DriverLoadError.self) { try path.resolve("missing") }
        #expect(throws: DriverLoadError.self) { try path.resolve("../escape") }
        // The standard path ends with the agent's own build folder: `--driver mock` works in a
        // developer build without installing anything.
        #expect(try DriverSearchPath.standard(environment: [:]).resolve("mock") == TestSupport.product("mock"))
        #expect(try DriverSearchPath.standard(environment: ["STREAMSPACE_DRIVER_PATH": directory]).resolve("vendor") == "\(directory)/vendor.so")
    }

    /// Through the CLI: one line on stderr, exit status 2, never a crash.
    @Test func cliPrintsOneLineAndExitsNonZero() throws {
        let cases: [(String, String)] = [
            ("/nonexistent/x.so", "agent: error: driver /nonexistent/x.so: no such file"),
            (try Self.brokenDriver(1), "no entry symbol streamspace_driver_entry_v1"),
            (try Self.brokenDriver(3), "implements ABI 2.0, the agent accepts ABI 1.0–1.0"),
            (try Self.brokenDriver(4), "missing mandatory operation start_session"),
            ("nosuchdriver", "driver \"nosuchdriver\" not found"),
        ]
        for (driver, expected) in cases {
            let result = try TestSupport.agent(["driver-info", "--driver", driver])
            #expect(result.status == 2, "\(driver)")
            #expect(result.stdout.isEmpty)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "expected one line, got: \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(result.stderr)")
        }
        let badConfig = try TestSupport.agent(["driver-info", "--driver", "mock", "--driver-config", #"{"nope":1}"#])
        #expect(badConfig.status == 2)
        #expect(badConfig.stderr.contains("create failed: INVALID_ARGUMENT") && badConfig.stderr.contains("nope"))
    }
}
