/// The identity and capacity flags of an agent, validated as the real server validates them, so
/// that a value it would reject fails at start-up with one clear line instead of in a loop.
public enum AgentIdentity {
    /// The StreamSpace platforms an agent can register as.
    public static let platforms = ["kubernetes", "docker", "vm", "cloud"]

    /// Character sequences the server's input filter removes from `agent_id`: such an id can
    /// never connect.
    public static let filteredSequences = ["--", "#", ";", "&", "|", "`", "$("]

    public static func agentIDProblem(_ id: String) -> String? {
        let length = id.unicodeScalars.count
        if length < 3 || length > 100 { return "agent id \(id.debugDescription) must be 3–100 characters long (it is \(length))" }
        if let bad = filteredSequences.first(where: { id.contains($0) }) {
            return "agent id \(id.debugDescription) contains \(bad.debugDescription), which the Control Plane's input filter strips: it could never connect"
        }
        if id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == " " }) {
            return "agent id \(id.debugDescription) contains spaces or control characters"
        }
        return nil
    }

    /// The key must be 64 hex characters (`openssl rand -hex 32`), or the server answers 401.
    public static func apiKeyProblem(_ key: String) -> String? {
        // ASCII hex only: Character.isHexDigit also accepts fullwidth digits.
        if key.utf8.count == 64 && key.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }) { return nil }
        return "the API key must be exactly 64 hexadecimal characters (make one with: openssl rand -hex 32); the one given has \(key.count) characters"
    }

    public static func regionProblem(_ region: String) -> String? {
        (2...50).contains(region.count) ? nil : "region \(region.debugDescription) must be 2–50 characters long"
    }

    public static func platformProblem(_ platform: String) -> String? {
        platforms.contains(platform) ? nil : "platform \(platform.debugDescription) must be one of \(platforms.joined(separator: ", "))"
    }
}

/// Reconnect delays: exponential backoff with full jitter (AWS's "full jitter"): a uniformly
/// random delay between 0 and min(cap, base · 2^attempt). Spreads a fleet of agents out after
/// a Control Plane restart instead of having them all dial at once.
public struct Backoff: Sendable {
    public var baseSeconds: Double
    public var capSeconds: Double
    public private(set) var attempt = 0

    public init(baseSeconds: Double = 1, capSeconds: Double = 60) {
        self.baseSeconds = baseSeconds
        self.capSeconds = capSeconds
    }

    /// The upper bound of the next delay.
    public var ceiling: Double { min(capSeconds, baseSeconds * Double(1 << min(attempt, 30))) }

    /// The next delay; each call widens the window until the cap.
    public mutating func next(random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        let delay = random(0...ceiling)
        attempt += 1
        return delay
    }

    public mutating func reset() { attempt = 0 }
}
