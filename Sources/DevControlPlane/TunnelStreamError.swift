/// Why a tunnel stream cannot be used (any more). A small struct that can grow, with the kind
/// as a predicate and the reason as the agent or the control plane gave it.
public struct TunnelStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The agent answered `tunnel_open` with `tunnel_reset` (not a live session's port, or
        /// the dial failed).
        case refused
        /// Reset after it opened, by either side.
        case reset
        /// The agent's connection closed (or was never there).
        case connectionLost
        /// `tunnel_opened` did not come in time.
        case timedOut
        /// Written after `end()`, or two writers at once: a caller's mistake.
        case misuse
    }

    public let kind: Kind
    public let reason: String

    init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var isRefused: Bool { kind == .refused }

    public var description: String {
        switch kind {
        case .refused: "tunnel refused: \(reason)"
        case .reset: "tunnel reset: \(reason)"
        case .connectionLost: "agent connection lost: \(reason)"
        case .timedOut: "tunnel not opened: \(reason)"
        case .misuse: "tunnel misuse: \(reason)"
        }
    }
}
