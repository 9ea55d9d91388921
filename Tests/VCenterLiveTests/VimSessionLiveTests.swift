import DriverModel
import PlatformKit
import SOAPKit
import Testing
@testable import VCenterDriver

/// The vim25 session against vcsim: our envelopes as a real vSphere server reads them, its
/// answers and faults as SOAPKit reads them, and the session's cookie, re-login and logout.
@Suite(.enabled(if: VCSim.isAvailable, "needs vcsim: Scripts/vcsim-sandbox.sh up"), .serialized)
struct VimSessionLiveTests {
    let vim = VimSession.vim

    /// A ContainerView of every VM: a call that needs a session.
    func containerView(_ session: VimSession) async throws -> [XMLTree] {
        let root = try await session.manager("rootFolder")
        let viewManager = try await session.manager("viewManager")
        return try await session.call(vim("CreateContainerView") {
            vim("_this", ["type": viewManager.type], text: viewManager.value)
            vim("container", ["type": root.type], text: root.value)
            vim("type", text: "VirtualMachine")
            vim("recursive", text: "true")
        }, what: "CreateContainerView")
    }

    @Test func theServiceContentIsReadOnceAndNamesVCenter() async throws {
        let session = try VCSim.session()
        let content = try await session.serviceContent()
        #expect(try content.required("about").text(of: "apiType") == "VirtualCenter")
        #expect(try await session.manager("sessionManager").type == "SessionManager")
        await session.logout()
    }

    @Test func aCallLogsInAndReadsTheInventory() async throws {
        let session = try VCSim.session()
        let view = try await containerView(session)
        #expect(view.first?.attribute("type") == "ContainerView")
        #expect(await session.logins == 1)
        await session.logout()
    }

    @Test func aWrongPasswordIsALoginRefusedNamingTheUserNeverThePassword() async throws {
        let wrong = "not-the-password-\(UInt32.random(in: 0...UInt32.max))"
        let session = try VCSim.session(password: wrong)
        let error = try await #require(throws: DriverError.self) { try await session.login() }
        #expect(error.code == .failedPrecondition)
        #expect(error.message.contains("login refused for user \(VCSim.user)"))
        #expect(error.message.contains("InvalidLogin: Login failure"))
        #expect(!error.message.contains(wrong))
        await session.logout()
    }

    @Test func aTerminatedSessionIsLoggedInAgainOnce() async throws {
        let session = try VCSim.session()
        let other = try VCSim.session()
        try await session.login()
        let sessionManager = try await session.manager("sessionManager")
        let collector = try await session.manager("propertyCollector")
        let current = try #require(try await session.call(vim("RetrieveProperties") {
            vim("_this", ["type": collector.type], text: collector.value)
            vim("specSet") {
                vim("propSet") { vim("type", text: "SessionManager"); vim("pathSet", text: "currentSession") }
                vim("objectSet") { vim("obj", ["type": sessionManager.type], text: sessionManager.value) }
            }
        }, what: "RetrieveProperties").first)
        let key = try #require(current.child("propSet")?.child("val")?.child("key")?.text)

        // Another session ends ours, as an administrator (or vCenter's idle timeout) would.
        try await other.call(vim("TerminateSession") {
            vim("_this", ["type": sessionManager.type], text: sessionManager.value)
            vim("sessionId", text: key)
        }, what: "TerminateSession")

        let view = try await containerView(session)
        #expect(view.count == 1)
        #expect(await session.logins == 2)
        await session.logout()
        await other.logout()
    }

    @Test func aMissingObjectIsNotFoundWithVCentersText() async throws {
        let session = try VCSim.session()
        let error = try await #require(throws: DriverError.self) {
            try await session.call(vim("PowerOnVM_Task") { vim("_this", ["type": "VirtualMachine"], text: "vm-<&>") },
                                   what: "PowerOnVM_Task")
        }
        #expect(error.code == .notFound)
        #expect(error.message == "vcenter: PowerOnVM_Task: ManagedObjectNotFound: managed object not found: VirtualMachine:vm-<&>")
        await session.logout()
    }

    /// The keys of the sessions vCenter holds, as another session sees them.
    func sessionKeys(seenBy session: VimSession) async throws -> Set<String> {
        let sessionManager = try await session.manager("sessionManager")
        let collector = try await session.manager("propertyCollector")
        let answer = try await session.call(vim("RetrieveProperties") {
            vim("_this", ["type": collector.type], text: collector.value)
            vim("specSet") {
                vim("propSet") { vim("type", text: "SessionManager"); vim("pathSet", text: "sessionList") }
                vim("objectSet") { vim("obj", ["type": sessionManager.type], text: sessionManager.value) }
            }
        }, what: "RetrieveProperties")
        let list = answer.first?.child("propSet")?.child("val")?.children("UserSession") ?? []
        return Set(list.compactMap { $0.child("key")?.text })
    }

    @Test func logoutEndsTheSessionOnVCenter() async throws {
        let observer = try VCSim.session()
        let session = try VCSim.session()
        let before = try await sessionKeys(seenBy: observer)
        try await session.login()
        let during = try await sessionKeys(seenBy: observer)
        let added = during.subtracting(before)
        #expect(added.count == 1)
        await session.logout()
        let after = try await sessionKeys(seenBy: observer)
        #expect(after.isDisjoint(with: added))
        await observer.logout()
    }

    @Test func aCertificateNoCAVouchesForIsRefused() async throws {
        try VCSim.checkAvailable()
        let endpoint = try VimEndpoint(url: VCSim.url ?? "", tls: TLSMaterial(ca: nil), user: VCSim.user, password: try VCSim.password())
        let session = try VimSession(endpoint)
        let error = try await #require(throws: DriverError.self) { try await session.serviceContent() }
        #expect(error.code == .unavailable)
        #expect(error.message.lowercased().contains("certificate"))
        await session.logout()
    }
}
