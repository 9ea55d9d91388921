import ControlPlaneProtocol
import DriverModel

/// API key checks. Keys are compared in constant time and never logged.
enum AgentKeys {
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// The real server's rule: exactly 64 hex characters, else 401.
    static func wellFormed(_ key: String) -> Bool { AgentIdentity.apiKeyProblem(key) == nil }

    /// The real server's input filter removes these sequences from `agent_id` before it looks
    /// the agent up: an id containing one can never match.
    static func filtered(_ id: String) -> String {
        var text = id
        var changed = true
        while changed {
            changed = false
            for sequence in AgentIdentity.filteredSequences where text.contains(sequence) {
                text = text.replacing(sequence, with: "")
                changed = true
            }
        }
        return text
    }
}
