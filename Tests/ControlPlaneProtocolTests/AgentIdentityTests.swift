import ControlPlaneProtocol
import Testing

/// Agent id, API key, region and platform: refused at start-up exactly when the server would
/// refuse them later.
@Suite struct AgentIdentityTests {
    // MARK: - Agent id

    @Test(arguments: ["abc", "docker-host-01", "lxd.eu-west.7", "agent_1", "ÉtéAgent", String(repeating: "a", count: 100),
                      "a-b-c", "a$b", "a(b)", "a%2D%2Db"])
    func acceptableAgentIds(_ id: String) {
        #expect(AgentIdentity.agentIDProblem(id) == nil)
    }

    @Test(arguments: ["", "a", "ab", String(repeating: "a", count: 101), String(repeating: "é", count: 101)])
    func agentIdsOutsideThreeToHundredCharactersAreRejected(_ id: String) throws {
        let problem = try #require(AgentIdentity.agentIDProblem(id))
        #expect(problem.contains("must be 3–100 characters long (it is \(id.count))"), "\(problem)")
    }

    @Test(arguments: AgentIdentity.filteredSequences)
    func eachFilteredSequenceIsRejectedWherever(_ sequence: String) throws {
        for id in ["agent\(sequence)1", "\(sequence)agent", "agent\(sequence)"] {
            let problem = try #require(AgentIdentity.agentIDProblem(id), "\(id)")
            #expect(problem.contains("contains \(sequence.debugDescription)"), "\(problem)")
            #expect(problem.contains("could never connect"))
        }
    }

    @Test func theFilteredSequencesAreTheServersList() {
        #expect(AgentIdentity.filteredSequences == ["--", "#", ";", "&", "|", "`", "$("])
    }

    @Test(arguments: ["my agent", "agent\t1", "agent\n1", "agent\u{7F}", "\u{0}abc"])
    func spacesAndControlCharactersAreRejected(_ id: String) throws {
        let problem = try #require(AgentIdentity.agentIDProblem(id))
        #expect(problem.contains("spaces or control characters"))
    }

    // MARK: - API key

    static let lowerKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    static let goodKeys: [String] = [
        lowerKey, lowerKey.uppercased(), String(repeating: "0", count: 64), "0123456789abcdefABCDEF" + String(repeating: "f", count: 42),
    ]

    static let badKeys: [String] = {
        let head63 = String(lowerKey.dropLast())
        return ["", head63, lowerKey + "0", head63 + "g", head63 + " ", " " + String(lowerKey.dropFirst()),
                String(repeating: "z", count: 64), "0x" + String(lowerKey.dropFirst(2)), String(lowerKey.dropLast(2)) + "-1",
                lowerKey + "\n"]
    }()

    @Test(arguments: goodKeys)
    func sixtyFourHexCharactersAreAnAcceptableKey(_ key: String) {
        #expect(AgentIdentity.apiKeyProblem(key) == nil)
    }

    @Test(arguments: badKeys)
    func anythingElseIsRejectedWithAnExplanation(_ key: String) throws {
        let problem = try #require(AgentIdentity.apiKeyProblem(key))
        #expect(problem.contains("64 hexadecimal characters"))
        #expect(problem.contains("openssl rand -hex 32"))
        #expect(problem.hasSuffix("the one given has \(key.count) characters"))
    }

    /// Character.isHexDigit is true for the fullwidth forms too (U+FF10–FF19, U+FF21–FF26,
    /// U+FF41–FF46), so such a key passes the check and then fails with 401 in a loop.
    static let fullwidthKeys: [String] = [
        String(repeating: "\u{FF10}", count: 64), String(repeating: "\u{FF41}", count: 32) + String(repeating: "a", count: 32),
    ]

    @Test(arguments: fullwidthKeys)
    func fullwidthHexDigitsAreNotHex(_ key: String) {
        #expect(AgentIdentity.apiKeyProblem(key) != nil)
    }

    // MARK: - Region and platform

    @Test(arguments: ["eu", "us-east-1", String(repeating: "r", count: 50)])
    func regionsOfTwoToFiftyCharactersAreAccepted(_ region: String) {
        #expect(AgentIdentity.regionProblem(region) == nil)
    }

    @Test(arguments: ["", "e", String(repeating: "r", count: 51)])
    func otherRegionLengthsAreRejected(_ region: String) throws {
        let problem = try #require(AgentIdentity.regionProblem(region))
        #expect(problem.contains("must be 2–50 characters long"))
    }

    @Test(arguments: ["kubernetes", "docker", "vm", "cloud"])
    func theFourStreamSpacePlatformsAreAccepted(_ platform: String) {
        #expect(AgentIdentity.platformProblem(platform) == nil)
    }

    @Test(arguments: ["", "Docker", "DOCKER", "lxd", "hyperv", "vcenter", "k8s", " docker", "docker "])
    func otherPlatformsAreRejectedListingTheValidOnes(_ platform: String) throws {
        let problem = try #require(AgentIdentity.platformProblem(platform))
        #expect(problem.hasSuffix("must be one of kubernetes, docker, vm, cloud"))
    }
}

/// Reconnect delays: exponential backoff with full jitter, 1 s to a 60 s cap.
@Suite struct BackoffTests {
    @Test func theCeilingDoublesFromOneSecondToTheSixtySecondCap() {
        var backoff = Backoff()
        var ceilings: [Double] = []
        for _ in 0..<10 {
            ceilings.append(backoff.ceiling)
            _ = backoff.next { $0.upperBound }
        }
        #expect(ceilings == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60])
    }

    @Test func theCeilingStaysAtTheCapAfterManyAttempts() {
        var backoff = Backoff()
        for _ in 0..<10_000 { _ = backoff.next { $0.lowerBound } }
        #expect(backoff.attempt == 10_000)
        #expect(backoff.ceiling == 60)
    }

    @Test func nextDrawsFromZeroToTheCurrentCeiling() {
        var backoff = Backoff()
        var ranges: [ClosedRange<Double>] = []
        for _ in 0..<8 { _ = backoff.next { range in ranges.append(range); return range.lowerBound } }
        #expect(ranges == [0...1, 0...2, 0...4, 0...8, 0...16, 0...32, 0...60, 0...60])
    }

    @Test func nextReturnsWhatTheInjectedRandomDraws() {
        var backoff = Backoff()
        #expect(backoff.next { _ in 0.25 } == 0.25)
        #expect(backoff.next { $0.upperBound } == 2)
        #expect(backoff.next { $0.lowerBound } == 0)
    }

    @Test func theDefaultRandomStaysWithinZeroAndTheCeiling() {
        var backoff = Backoff()
        for _ in 0..<2000 {
            let ceiling = backoff.ceiling
            let delay = backoff.next()
            #expect(delay >= 0 && delay <= ceiling)
        }
    }

    @Test func resetStartsAgainFromOneSecond() {
        var backoff = Backoff()
        for _ in 0..<5 { _ = backoff.next() }
        #expect(backoff.ceiling == 32)
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.ceiling == 1)
        #expect(backoff.next { $0.upperBound } == 1)
    }

    @Test func aCustomBaseAndCapAreHonoured() {
        var backoff = Backoff(baseSeconds: 0.5, capSeconds: 5)
        var ceilings: [Double] = []
        for _ in 0..<6 { ceilings.append(backoff.ceiling); _ = backoff.next { $0.lowerBound } }
        #expect(ceilings == [0.5, 1, 2, 4, 5, 5])
    }
}
