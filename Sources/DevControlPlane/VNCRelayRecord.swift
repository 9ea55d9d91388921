import Foundation

/// What an agent sent for one session over the stock server's VNC relay (`vnc_ready`,
/// `vnc_data`, `vnc_error`), so tests can check the relay byte for byte. Bounded: the last
/// `maxBytes` of data and the last `maxErrors` errors are kept.
public struct VNCRelayRecord: Sendable, Codable, Equatable {
    public static let maxBytes = 1 << 20
    public static let maxErrors = 20

    public var sessionId: String
    public var agentId: String
    /// How many `vnc_ready` came, and what the last one said.
    public var readyCount = 0
    public var vncPort: Int?
    public var podName: String?
    /// The `vnc_data` messages, and their base64-decoded bytes in order (the newest
    /// `maxBytes`; base64 in the admin JSON).
    public var dataMessages = 0
    public var data = Data()
    public var totalBytes = 0
    public var droppedBytes = 0
    /// `vnc_data` whose `data` was not base64 (the agent breaks the k8s-agent's convention).
    public var undecodable = 0
    public var errors: [String] = []
    public var updatedAt: String

    public init(sessionId: String, agentId: String, updatedAt: String) {
        self.sessionId = sessionId
        self.agentId = agentId
        self.updatedAt = updatedAt
    }

    mutating func append(_ bytes: Data) {
        dataMessages += 1
        totalBytes += bytes.count
        data.append(bytes)
        if data.count > Self.maxBytes {
            let excess = data.count - Self.maxBytes
            data.removeFirst(excess)
            droppedBytes += excess
        }
    }

    mutating func noteError(_ error: String) {
        errors.append(error)
        if errors.count > Self.maxErrors { errors.removeFirst(errors.count - Self.maxErrors) }
    }
}
