@testable import AgentHost
import DriverModel
import Testing

/// What the agent reports as a change, from a driver event or a re-read alike.
@Suite struct SessionNewsTests {
    let vnc = Endpoint(name: "vnc", port: 3000, url: "http://127.0.0.1:49153")

    @Test func aNewStateOrEndpointIsNewsTheSameStatusIsNot() {
        let running = SessionStatus(sessionId: "s-1", state: .running, endpoints: [vnc])
        #expect(SessionReporter.isNews(running, after: nil), "a session the Control Plane never heard of")
        #expect(!SessionReporter.isNews(running, after: running))
        #expect(SessionReporter.isNews(SessionStatus(sessionId: "s-1", state: .hibernated), after: running))
        #expect(SessionReporter.isNews(SessionStatus(sessionId: "s-1", state: .running, endpoints: [.init(name: "vnc", port: 3000)]),
                                       after: running), "the endpoint lost its URL")
    }

    @Test func theEndOfASessionIsNewsOnlyIfItWasKnown() {
        let gone = SessionStatus(sessionId: "s-1", state: .terminated)
        #expect(SessionReporter.isNews(gone, after: SessionStatus(sessionId: "s-1", state: .running)))
        #expect(!SessionReporter.isNews(gone, after: nil))
    }
}
