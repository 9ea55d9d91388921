import AgentHost
import AgentTestSupport
import DriverModel
import Testing

/// What the real LXD refuses for good comes back as a permanent error (never retried), with
/// LXD's own words: the mapping the golden captures hold, seen end to end.
@Suite(.serialized, lxdTrait) struct LXDErrorClassTests {
    struct Refused: Sendable, CustomTestStringConvertible {
        var what: String
        var config: String
        var image = LXDTestEnvironment.image
        var persistentHome = false
        var code: DriverStatusCode
        var text: String
        var testDescription: String { what }
    }

    static let cases: [Refused] = [
        Refused(what: "an image LXD does not have", config: #"{"hibernate": "stop"}"#, image: "streamspace-test/no-such-image",
                code: .notFound, text: "Image alias not found"),
        // LXD answers 500 for a profile that does not exist: a config problem, not an outage.
        Refused(what: "a missing profile (LXD's 500)", config: #"{"hibernate": "stop", "profiles": ["streamspace-no-such-profile"]}"#,
                code: .notFound, text: "doesn't exist"),
        Refused(what: "a missing storage pool", config: #"{"hibernate": "stop", "storagePool": "streamspace-no-such-pool"}"#,
                persistentHome: true, code: .notFound, text: "Storage pool not found"),
    ]

    @Test(arguments: cases) func aStartLXDRefusesForGoodIsPermanent(_ refused: Refused) async throws {
        let id = LXDTest.sessionID("refused")
        defer { LXDTest.cleanUp([id]) }
        let driver = try await LXDTest.loadDriver(config: refused.config)
        let spec = try LXDTest.spec(id, persistentHome: refused.persistentHome, image: refused.image)
        do {
            _ = try await driver.start(spec)
            Issue.record("LXD took \(refused.what)")
        } catch {
            #expect(error.code == refused.code && !error.isRetryable, "\(error)")
            #expect(error.message.contains(refused.text), "\(error)")
        }
        #expect(try LXDTestEnvironment.instance(ofSession: id) == nil)
        await driver.destroy()
    }
}
