import DriverModel
import SOAPKit
import Testing

/// Faults as vcsim and a real Windows host wrote them, and the DriverErrors they become.
@Suite struct FaultTests {
    /// How a vim25 caller classifies (the vCenter driver's table will be larger).
    static let vimCodes: [String: DriverStatusCode] = [
        "InvalidLogin": .failedPrecondition, "NotAuthenticated": .failedPrecondition, "ManagedObjectNotFound": .notFound,
    ]

    static func fault(_ bytes: [UInt8], _ version: SOAPVersion = .soap11) throws -> SOAPFault {
        let (items, outcome) = try SOAPResponseReader.read(bytes, version, what: "the answer")
        #expect(items.isEmpty)
        guard case .fault(let fault) = outcome else { Issue.record("no fault in \(outcome)"); throw DriverError(.internal, "no fault") }
        return fault
    }

    @Test func invalidLoginKeepsVCentersOwnText() throws {
        let fault = try Self.fault(try Fixtures.vcenter("fault-invalid-login.xml"))
        #expect(fault.code == "ServerFaultCode")
        #expect(fault.kind == "InvalidLogin")
        #expect(fault.reason == "Login failure")
        let error = fault.error("vcenter: login as streamspace@vsphere.local", codes: Self.vimCodes)
        #expect(error == DriverError(.failedPrecondition, "vcenter: login as streamspace@vsphere.local: InvalidLogin: Login failure",
                                     detail: .object(["soapFault": .string("InvalidLogin")])))
    }

    @Test func notAuthenticatedHasNoTextButItsKind() throws {
        let fault = try Self.fault(try Fixtures.vcenter("fault-not-authenticated.xml"))
        #expect(fault.kind == "NotAuthenticated")
        #expect(fault.reason == "")
        #expect(fault.detail?.child("privilegeId")?.text == "System.View")
        #expect(fault.error("vcenter: list", codes: Self.vimCodes).message == "vcenter: list: NotAuthenticated")
    }

    @Test func managedObjectNotFoundIsNotFoundAndNamesTheObject() throws {
        let fault = try Self.fault(try Fixtures.vcenter("fault-managed-object-not-found.xml"))
        #expect(fault.kind == "ManagedObjectNotFound")
        let obj = try #require(fault.detail?.child("obj"))
        #expect(obj.attribute("type") == "VirtualMachine")
        #expect(obj.text == "vm-does-not-exist")
        let error = fault.error("vcenter: power on", codes: Self.vimCodes)
        #expect(error.code == .notFound)
        #expect(error.message == "vcenter: power on: ManagedObjectNotFound: managed object not found: VirtualMachine:vm-does-not-exist")
    }

    @Test func aKindTheTableDoesNotNameFallsBackToTheFaultCode() throws {
        let fault = try Self.fault(try Fixtures.vcenter("fault-managed-object-not-found.xml"))
        #expect(fault.error("vcenter", codes: [:]).code == .internal)
        #expect(fault.error("vcenter", codes: [:], fallback: { _ in .unavailable }).code == .unavailable)
    }

    @Test func aWSManagementFaultReadsAsSOAP12() throws {
        let fault = try Self.fault(try Fixtures.bytes("winrm", "fault-invalid-selectors-unknown-shell.xml"), .soap12)
        #expect(fault.code == "s:Sender")
        #expect(fault.subcode == "w:InvalidSelectors")
        #expect(fault.kind == "InvalidSelectors")
        #expect(fault.detail?.name.local == "FaultDetail")
        let error = fault.error("hyperv: receive", codes: [:])
        // A Sender fault: the request was wrong. The reason's trailing space is dropped.
        #expect(error.code == .invalidArgument)
        #expect(error.message == "hyperv: receive: InvalidSelectors: The WS-Management service cannot process the request because the request contained invalid selectors for the resource.")
    }
}
