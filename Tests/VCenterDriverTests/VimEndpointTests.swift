import DriverModel
import PlatformKit
import SOAPKit
import Testing
@testable import VCenterDriver

/// The parts of the vCenter driver that need no vCenter: its URL, its redaction, its faults.
@Suite struct VimEndpointTests {
    func endpoint(_ url: String, password: String = "s3cret") throws(DriverError) -> VimEndpoint {
        try VimEndpoint(url: url, tls: TLSMaterial(ca: nil), user: "admin@vsphere.local", password: password)
    }

    @Test func urlsReadAsHostPortAndPath() throws {
        let plain = try endpoint("https://vc.example.com")
        #expect((plain.host, plain.port, plain.path) == ("vc.example.com", 443, "/sdk"))
        let full = try endpoint("https://127.0.0.1:8989/sdk")
        #expect((full.host, full.port, full.path) == ("127.0.0.1", 8989, "/sdk"))
        let v6 = try endpoint("https://[::1]:9443/")
        #expect((v6.host, v6.port, v6.path) == ("::1", 9443, "/sdk"))
        #expect(v6.description == "https://[::1]:9443/sdk as admin@vsphere.local")
    }

    @Test(arguments: ["http://vc/sdk", "https://", "https://vc:0/sdk", "https://vc:x/sdk", "vc.example.com"])
    func aBadURLIsRefusedByName(_ url: String) throws {
        let error = try #require(throws: DriverError.self) { try endpoint(url) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.hasPrefix("vcenter: url"))
    }

    @Test func anEmptyPasswordIsRefusedNamingTheUser() throws {
        let error = try #require(throws: DriverError.self) { try endpoint("https://vc", password: "") }
        #expect(error.message == "vcenter: the password for admin@vsphere.local is empty")
    }

    @Test func thePasswordIsRedactedWhereverItIsQuoted() throws {
        let endpoint = try endpoint("https://vc", password: "p@ss")
        #expect(endpoint.redacted("a p@ss b p@ssp@ss") == "a *** b ******")
        #expect(endpoint.redacted(DriverError(.internal, "echo: p@ss")).message == "echo: ***")
        #expect(!endpoint.description.contains("p@ss"))
    }

    @Test func vimFaultsMapByKindWithTheirText() throws {
        let fault = SOAPFault(code: "ServerFaultCode", reason: "The operation is not allowed in the current state.",
                              kind: "InvalidPowerState", detail: nil)
        let error = VimFaults.error(fault, "vcenter: suspend")
        #expect(error.code == .failedPrecondition)
        #expect(error.message == "vcenter: suspend: InvalidPowerState: The operation is not allowed in the current state.")
        #expect(VimFaults.error(SOAPFault(code: "ServerFaultCode", reason: "", kind: "TaskInProgress", detail: nil), "x").isRetryable)
    }
}
