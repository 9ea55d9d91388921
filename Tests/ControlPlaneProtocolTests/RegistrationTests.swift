@testable import ControlPlaneProtocol
import DriverModel
import Testing

/// `POST /api/v1/agents/register`: the body, and what each answer of the real server means.
@Suite struct RegistrationTests {
    static func outcome(_ status: Int, _ body: String) -> Registration.Outcome {
        Registration.outcome(status: status, body: Array(body.utf8))
    }

    static let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    /// The Agent object the real server answers with (models.Agent).
    static let agentObject = #"{"id":"4b1c","agentId":"docker-host-01","platform":"docker","region":"eu-west","status":"online","capacity":{"maxSessions":10,"cpu":"8","memory":"16Gi"},"lastHeartbeat":"2025-12-04T13:11:05.123456789-07:00","metadata":{},"approvalStatus":"approved","createdAt":"2025-12-01T09:00:00Z","updatedAt":"2025-12-04T13:11:05.123456789-07:00"}"#

    @Test func theEndpointsAndHeader() {
        #expect(Registration.path == "/api/v1/agents/register")
        #expect(Registration.connectPath == "/api/v1/agents/connect")
        #expect(Registration.apiKeyHeader == "X-Agent-API-Key")
        #expect(Registration.pendingRetrySeconds == 30)
    }

    // MARK: - 200

    @Test func a200WithAPlainAgentObjectIsApproved() {
        #expect(Self.outcome(200, Self.agentObject) == .approved(newAPIKey: nil))
    }

    @Test func a200WithAgentAndApprovalStatusApprovedIsApproved() {
        #expect(Self.outcome(200, #"{"agent":\#(Self.agentObject),"approvalStatus":"approved"}"#) == .approved(newAPIKey: nil))
    }

    @Test func a200CarryingATopLevelAPIKeyHandsItOver() {
        #expect(Self.outcome(200, #"{"agent":\#(Self.agentObject),"approvalStatus":"approved","apiKey":"\#(Self.key)"}"#)
                == .approved(newAPIKey: Self.key))
    }

    @Test func a200CarryingAnAPIKeyInsideTheAgentHandsItOver() {
        #expect(Self.outcome(200, #"{"agent":{"agentId":"docker-host-01","apiKey":"\#(Self.key)"},"approvalStatus":"approved"}"#)
                == .approved(newAPIKey: Self.key))
        #expect(Self.outcome(200, #"{"agentId":"docker-host-01","apiKey":"\#(Self.key)"}"#) == .approved(newAPIKey: Self.key))
    }

    @Test func theTopLevelAPIKeyWinsOverTheAgentOne() {
        #expect(Self.outcome(200, #"{"apiKey":"top","agent":{"apiKey":"inner"}}"#) == .approved(newAPIKey: "top"))
    }

    @Test(arguments: [#"{"apiKey":""}"#, #"{"apiKey":null}"#, #"{"apiKey":42}"#, #"{"agent":{"apiKey":""}}"#])
    func anEmptyOrNonStringAPIKeyIsNoKey(_ body: String) {
        #expect(Self.outcome(200, body) == .approved(newAPIKey: nil))
    }

    @Test(arguments: ["", "OK", "<html>ok</html>", "{} {}"])
    func a200WithAnUnreadableBodyIsStillApproved(_ body: String) {
        #expect(Self.outcome(200, body) == .approved(newAPIKey: nil))
    }

    @Test func a200SayingPendingIsPending() {
        #expect(Self.outcome(200, #"{"approvalStatus":"pending","message":"wait"}"#) == .pending(message: "wait", newAPIKey: nil))
    }

    @Test func a202CarryingAKeyKeepsIt() {
        #expect(Self.outcome(202, #"{"approvalStatus":"pending","apiKey":"k2"}"#) == .pending(message: "waiting for an administrator to approve this agent", newAPIKey: "k2"))
    }

    @Test func a200SayingRejectedIsRejected() {
        #expect(Self.outcome(200, #"{"approvalStatus":"rejected"}"#) == .rejected(message: "an administrator rejected this agent"))
    }

    @Test func aHugeRetryAfterIsCappedAtAnHour() {
        #expect(Self.outcome(429, #"{"retryAfter":1e9}"#) == .rateLimited(retryAfterSeconds: 3600))
    }

    @Test func a201IsReadLikeA200() {
        #expect(Self.outcome(201, #"{"apiKey":"k"}"#) == .approved(newAPIKey: "k"))
    }

    // MARK: - 202, 401, 403

    @Test func a202IsPendingWithTheServersMessage() {
        let body = #"{"agent":\#(Self.agentObject),"approvalStatus":"pending","message":"Agent registered and awaiting administrator approval"}"#
        #expect(Self.outcome(202, body) == .pending(message: "Agent registered and awaiting administrator approval", newAPIKey: nil))
    }

    @Test(arguments: ["", #"{"approvalStatus":"pending"}"#, "garbage"])
    func a202WithoutAMessageIsPendingWithADefaultOne(_ body: String) {
        #expect(Self.outcome(202, body) == .pending(message: "waiting for an administrator to approve this agent", newAPIKey: nil))
    }

    @Test func a401CarriesTheServersErrorOrADefault() {
        #expect(Self.outcome(401, #"{"error":"Invalid API key"}"#) == .unauthorized(message: "Invalid API key"))
        #expect(Self.outcome(401, #"{"error":"Unauthorized","message":"API key required"}"#) == .unauthorized(message: "API key required"))
        #expect(Self.outcome(401, "") == .unauthorized(message: "the Control Plane refused the API key (401)"))
    }

    @Test func a403IsRejectedWithTheServersMessageOrADefault() {
        #expect(Self.outcome(403, #"{"error":"Agent registration rejected by administrator"}"#)
                == .rejected(message: "Agent registration rejected by administrator"))
        #expect(Self.outcome(403, #"{"approvalStatus":"rejected"}"#) == .rejected(message: "an administrator rejected this agent (403)"))
    }

    // MARK: - 429

    @Test(arguments: [(#"{"retryAfter":60}"#, 60.0), (#"{"error":"Rate limit exceeded","retryAfter":60}"#, 60), (#"{"retryAfter":12.5}"#, 12.5),
                      (#"{"retryAfter":0}"#, 1), (#"{"retryAfter":-5}"#, 1)])
    func a429WaitsWhatRetryAfterSaysButAtLeastOneSecond(_ body: String, _ seconds: Double) {
        #expect(Self.outcome(429, body) == .rateLimited(retryAfterSeconds: seconds))
    }

    @Test(arguments: ["", "Too Many Requests", "<html>429</html>", #"{"retryAfter":"60"}"#, #"{"retryAfter":null}"#, #"{"error":"slow down"}"#, "{"])
    func a429WithoutAReadableRetryAfterWaitsSixtySeconds(_ body: String) {
        #expect(Self.outcome(429, body) == .rateLimited(retryAfterSeconds: 60))
    }

    // MARK: - Everything else

    @Test(arguments: [(404, "check that --control-plane-url points at the Control Plane"),
                      (500, "the Control Plane failed; check its log"), (502, "the Control Plane failed; check its log"),
                      (503, "the Control Plane failed; check its log"), (418, "check the Control Plane's log"),
                      (301, "check the Control Plane's log"), (0, "check the Control Plane's log")])
    func otherStatusesAreRetriedSayingWhatToCheck(_ status: Int, _ advice: String) {
        #expect(Self.outcome(status, "garbage") == .retry(reason: "registration answered HTTP \(status) — \(advice)"))
    }

    @Test func aRetryNamesTheServersError() {
        #expect(Self.outcome(404, #"{"error":"Agent not found"}"#)
                == .retry(reason: "registration answered HTTP 404: Agent not found — check that --control-plane-url points at the Control Plane"))
        #expect(Self.outcome(500, #"{"error":"Internal server error","message":"database is down"}"#)
                == .retry(reason: "registration answered HTTP 500: database is down — the Control Plane failed; check its log"))
    }

    // MARK: - The body

    /// Go's RegisterRequest: strings, capacity with an int maxSessions and string quantities, and
    /// a metadata map.
    static let registerRequest: GoTypes.Kind = .object([
        "agentId": .string, "platform": .string, "region": .string,
        "capacity": .object(["maxSessions": .int, "cpu": .string, "memory": .string, "storage": .string]),
        "metadata": .objectOrNull,
    ])

    @Test func theBodyHasTheTypesGoExpects() throws {
        let body = Registration.body(agentId: "docker-host-01", platform: "docker", region: "eu-west",
                                     capacity: .init(maxSessions: 10, cpu: "8", memory: "16Gi", storage: "200Gi"),
                                     metadata: ["driver": .string("docker"), "driverVersion": .string("1.2.0"), "cores": .int(8)])
        #expect(body == .object([
            "agentId": .string("docker-host-01"), "platform": .string("docker"), "region": .string("eu-west"),
            "capacity": .object(["maxSessions": .int(10), "cpu": .string("8"), "memory": .string("16Gi"), "storage": .string("200Gi")]),
            "metadata": .object(["driver": .string("docker"), "driverVersion": .string("1.2.0"), "cores": .int(8)]),
        ]))
        #expect(GoTypes.mismatch(body, Self.registerRequest, path: "body") == nil)
        // Over the wire too: the integer stays an integer.
        let wire = try StrictJSON.parse(body.jsonString())
        #expect(wire["capacity"]?["maxSessions"] == .int(10))
        #expect(GoTypes.mismatch(wire, Self.registerRequest, path: "body") == nil)
    }

    @Test func theBodyWithoutStorageOmitsIt() {
        let body = Registration.body(agentId: "a-1", platform: "vm", region: "eu", capacity: .init(maxSessions: 0, cpu: "1", memory: "1Gi"), metadata: [:])
        #expect(body["capacity"]?.objectValue?.keys.sorted() == ["cpu", "maxSessions", "memory"])
        #expect(body["metadata"] == .object([:]))
        #expect(GoTypes.mismatch(body, Self.registerRequest, path: "body") == nil)
    }

    @Test func theRegisterRuleCatchesWhatGoWouldRefuse() {
        let bad = JSONValue.object(["agentId": .string("a"), "capacity": .object(["maxSessions": .double(10.5)])])
        #expect(GoTypes.mismatch(bad, Self.registerRequest, path: "body") == "json: cannot unmarshal number into body.capacity.maxSessions of type int")
    }
}
