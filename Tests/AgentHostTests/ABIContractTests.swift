import DriverABI
import DriverModel
import Foundation
import Testing

/// The header is the contract: it compiles cleanly as C11 and C++, and the Swift mirrors of its
/// constants cannot drift from it.
@Suite struct ABIContractTests {
    @Test func statusCodesMatchTheHeader() {
        let header: [(Int, DriverStatusCode)] = [
            (SSD_OK, .ok), (SSD_INVALID_ARGUMENT, .invalidArgument), (SSD_NOT_FOUND, .notFound),
            (SSD_ALREADY_EXISTS, .alreadyExists), (SSD_FAILED_PRECONDITION, .failedPrecondition),
            (SSD_UNSUPPORTED, .unsupported), (SSD_UNAVAILABLE, .unavailable), (SSD_TIMEOUT, .timeout),
            (SSD_RESOURCE_EXHAUSTED, .resourceExhausted), (SSD_CANCELLED, .cancelled),
            (SSD_INTERNAL, .internal), (SSD_INCOMPATIBLE, .incompatible),
        ]
        #expect(header.count == DriverStatusCode.allCases.count)
        for (value, code) in header { #expect(Int32(value) == code.rawValue, "\(code)") }
        #expect(DriverStatusCode(abiValue: 99) == .internal)
        #expect(DriverStatusCode(name: "UNAVAILABLE") == .unavailable)
    }

    @Test func capabilityBitsMatchTheHeader() {
        let header: [(UInt64, DriverCapabilities)] = [
            (SSD_CAP_HIBERNATE_MEMORY, .hibernateMemory), (SSD_CAP_HIBERNATE_DISK, .hibernateDisk),
            (SSD_CAP_NODE_METRICS, .nodeMetrics), (SSD_CAP_SESSION_METRICS, .sessionMetrics),
            (SSD_CAP_LOGS, .logs), (SSD_CAP_LOGS_FOLLOW, .logsFollow),
            (SSD_CAP_PERSISTENT_HOME, .persistentHome), (SSD_CAP_SESSION_EVENTS, .sessionEvents),
            (SSD_CAP_NONBLOCKING_CALLS, .nonblockingCalls),
        ]
        #expect(header.count == DriverCapabilities.named.count)
        for (value, capability) in header { #expect(value == capability.rawValue) }
        #expect(DriverCapabilities(rawValue: 1 << 40).names == ["unknown(0x10000000000)"])
    }

    @Test func versionConstants() {
        #expect(SSD_ABI_VERSION_1_0 == 0x0001_0000)
        #expect(SSD_ABI_VERSION == SSD_ABI_VERSION_1_0)
        #expect(SSD_ENTRY_SYMBOL_V1 == "streamspace_driver_entry_v1")
    }

    /// A vendor compiles against the header alone, with strict warnings, in C and in C++.
    @Test(arguments: [
        ["/usr/bin/gcc", "-std=c11", "-x", "c"],
        ["/usr/bin/g++", "-std=c++11", "-x", "c++"],
    ])
    func headerCompilesWarningFree(_ compiler: [String]) throws {
        let result = try TestSupport.run(compiler[0], Array(compiler.dropFirst()) + [
            "-Wall", "-Wextra", "-pedantic", "-Werror", "-fsyntax-only",
            "\(TestSupport.headerDirectory)/streamspace_driver.h"])
        #expect(result.status == 0, "\(result.stderr)")
    }
}
