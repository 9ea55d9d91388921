@testable import AgentHost
import ControlPlaneProtocol
import Testing

/// The bounded memory of command ids behind "a repeated command id is not executed twice".
@Suite struct RecentCommandsTests {
    @Test func theOldestIdsAreForgottenFirstAndAnswersAreKept() {
        var recent = RecentCommands(capacity: 3)
        for id in ["a", "b", "c"] { recent.begin(id) }
        recent.finish("b", replies: [Message(type: "complete", payload: .object(["commandId": .string("b")]))])
        guard case .inProgress = recent.lookup("a") else { Issue.record("a should be in progress"); return }
        guard case .finished(let replies) = recent.lookup("b"), replies.first?.type == "complete" else {
            Issue.record("b should be finished with its answer")
            return
        }
        recent.begin("d")  // a goes
        recent.begin("e")  // then b
        guard case .unknown = recent.lookup("a"), case .unknown = recent.lookup("b") else {
            Issue.record("a and b should be forgotten")
            return
        }
        for id in ["c", "d", "e"] {
            guard case .inProgress = recent.lookup(id) else { Issue.record("\(id) should be remembered"); return }
        }
        // Around the ring many times: exactly the last three stay.
        for index in 0..<1000 { recent.begin("id-\(index)") }
        let remembered = (0..<1000).filter { if case .unknown = recent.lookup("id-\($0)") { false } else { true } }
        #expect(remembered == [997, 998, 999])
    }
}
