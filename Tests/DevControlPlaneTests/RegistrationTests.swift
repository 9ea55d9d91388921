import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

@Suite("Registration: the real server's answers")
struct RegistrationTests {
    @Test("a new agent gets 202 pending; once approved, 200 approved")
    func pendingThenApproved() async throws {
        try await withControlPlane { cp, endpoints in
            let key = cp.configuration.apiKey
            let first = try await register(endpoints, agentId: "agent-a", key: key)
            #expect(first.status == 202)
            #expect(first.json?["approvalStatus"]?.stringValue == "pending")
            #expect(first.json?["agent"]?["agentId"]?.stringValue == "agent-a")
            #expect(first.json?["message"]?.stringValue?.isEmpty == false)
            #expect(Registration.outcome(status: first.status, body: Array(first.text.utf8)) == .pending(message: first.json!["message"]!.stringValue!, newAPIKey: nil))

            let again = try await register(endpoints, agentId: "agent-a", key: key)
            #expect(again.status == 202)

            try await cp.approve(agentId: "agent-a")
            let approved = try await register(endpoints, agentId: "agent-a", key: key)
            #expect(approved.status == 200)
            #expect(approved.json?["approvalStatus"]?.stringValue == "approved")
            #expect(approved.json?["apiKey"] == nil)
            #expect(Registration.outcome(status: approved.status, body: Array(approved.text.utf8)) == .approved(newAPIKey: nil))

            let agent = try #require(await cp.state.agent("agent-a"))
            #expect(agent.approvalStatus == .approved)
            #expect(agent.registrations == 3)
            #expect(agent.platform == "docker")
        }
    }

    @Test("auto-approve answers 200 at once")
    func autoApprove() async throws {
        try await withControlPlane({ $0.autoApprove = true }) { cp, endpoints in
            let answer = try await register(endpoints, agentId: "agent-auto", key: cp.configuration.apiKey)
            #expect(answer.status == 200)
            #expect(answer.json?["approvalStatus"]?.stringValue == "approved")
        }
    }

    @Test("a rejected agent gets 403")
    func rejected() async throws {
        try await withControlPlane { cp, endpoints in
            _ = try await register(endpoints, agentId: "agent-r", key: cp.configuration.apiKey)
            try await cp.reject(agentId: "agent-r")
            let answer = try await register(endpoints, agentId: "agent-r", key: cp.configuration.apiKey)
            #expect(answer.status == 403)
            #expect(answer.json?["error"]?.stringValue?.contains("rejected") == true)
        }
    }

    @Test("a wrong key, a key that is not 64 hex, or no key: 401 with an error")
    func badKeys() async throws {
        try await withControlPlane { cp, endpoints in
            let wrong = try await register(endpoints, agentId: "agent-k", key: String(repeating: "ab", count: 32))
            #expect(wrong.status == 401)
            #expect(wrong.json?["error"]?.stringValue != nil)

            let short = try await register(endpoints, agentId: "agent-k", key: "abc123")
            #expect(short.status == 401)
            let notHex = try await register(endpoints, agentId: "agent-k", key: String(repeating: "zz", count: 32))
            #expect(notHex.status == 401)
            let upperPlusOne = try await register(endpoints, agentId: "agent-k", key: cp.configuration.apiKey + "0")
            #expect(upperPlusOne.status == 401)
            let none = try await register(endpoints, agentId: "agent-k", key: nil)
            #expect(none.status == 401)
            #expect(await cp.state.agent("agent-k") == nil)
        }
    }

    @Test("agent ids the server's input filter mangles are refused", arguments: ["bad--id", "bad#id", "a;b-c", "a&bc", "a|bc", "a`bc", "a$(b)"])
    func filteredAgentID(_ id: String) async throws {
        try await withControlPlane { cp, endpoints in
            let answer = try await register(endpoints, agentId: id, key: cp.configuration.apiKey)
            #expect(answer.status == 400)
            #expect(answer.json?["error"]?.stringValue?.contains("filter") == true)
            #expect(await cp.state.agents.isEmpty)
        }
    }

    @Test("bodies the real server would not bind: 400")
    func invalidBodies() async throws {
        try await withControlPlane { cp, endpoints in
            let key = cp.configuration.apiKey
            let bodies = [
                #"{"agentId":"agent-b","platform":"lxd","region":"eu","capacity":{"maxSessions":2,"cpu":"2","memory":"4Gi"}}"#,
                #"{"agentId":"agent-b","platform":"docker","region":"eu","capacity":{"maxSessions":2.0,"cpu":"2","memory":"4Gi"}}"#,
                #"{"agentId":"agent-b","platform":"docker","region":"eu","capacity":{"maxSessions":2,"cpu":2,"memory":"4Gi"}}"#,
                #"{"agentId":"agent-b","platform":"docker","region":"e","capacity":{"maxSessions":2,"cpu":"2","memory":"4Gi"}}"#,
                #"{"agentId":"ab","platform":"docker","region":"eu","capacity":{"maxSessions":2,"cpu":"2","memory":"4Gi"}}"#,
                #"{"agentId":"agent-b","platform":"docker","region":"eu"}"#,
                #"{"agentId":"agent-b","platform":"docker","region":"eu","capacity":{"maxSessions":2,"cpu":"2","memory":"4Gi"}} {}"#,
                #"not json"#,
            ]
            for body in bodies {
                let answer = try await register(endpoints, body: body, key: key)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.json?["error"]?.stringValue != nil, "\(body)")
            }
            #expect(await cp.state.agents.isEmpty)
        }
    }

    @Test("over the rate limit: 429 with retryAfter 60, on register and connect")
    func rateLimit() async throws {
        try await withControlPlane({ $0.rateLimitPerMinute = 3 }) { cp, endpoints in
            for _ in 0..<3 {
                let answer = try await register(endpoints, agentId: "agent-rl", key: cp.configuration.apiKey)
                #expect(answer.status == 202)
            }
            let limited = try await register(endpoints, agentId: "agent-rl", key: cp.configuration.apiKey)
            #expect(limited.status == 429)
            #expect(limited.json?["retryAfter"]?.intValue == 60)
            #expect(Registration.outcome(status: limited.status, body: Array(limited.text.utf8)) == .rateLimited(retryAfterSeconds: 60))
            let connect = try await connectRequest(endpoints, agentId: "agent-rl", key: cp.configuration.apiKey, upgrade: true)
            #expect(connect.status == 429)
        }
    }

    @Test("--issue-agent-keys: the approval answer carries apiKey, accepted from then on")
    func issuedKeys() async throws {
        try await withControlPlane({ $0.issueAgentKeys = true }) { cp, endpoints in
            let bootstrap = cp.configuration.apiKey
            #expect(try await register(endpoints, agentId: "agent-key", key: bootstrap).status == 202)
            try await cp.approve(agentId: "agent-key")
            let approved = try await register(endpoints, agentId: "agent-key", key: bootstrap)
            #expect(approved.status == 200)
            let issued = try #require(approved.json?["apiKey"]?.stringValue)
            #expect(AgentIdentity.apiKeyProblem(issued) == nil)
            #expect(issued != bootstrap)
            #expect(Registration.outcome(status: 200, body: Array(approved.text.utf8)) == .approved(newAPIKey: issued))

            let withOwnKey = try await register(endpoints, agentId: "agent-key", key: issued)
            #expect(withOwnKey.status == 200)
            #expect(withOwnKey.json?["apiKey"] == nil)
            // The key belongs to that agent only.
            #expect(try await register(endpoints, agentId: "agent-other", key: issued).status == 401)

            let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-key"), apiKey: issued)
            try await cp.waitFor("connected with the issued key") { $0.agent("agent-key")?.connected == true }
            #expect(await cp.state.agent("agent-key")?.hasIssuedKey == true)
            await socket.close()
        }
    }
}
