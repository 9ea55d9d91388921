/// Flow control of one direction of one tunnel stream, as in HTTP/2 and SSH channels: the
/// sender may have at most the window's bytes sent and not yet granted back; the receiver grants
/// once it has passed bytes on. Pure values: the stream's I/O drives them.

/// The sender's side: what it may still send.
public struct SendCredit: Sendable, Equatable {
    public private(set) var available: Int

    public init(window: Int) { available = window }

    /// Takes up to `wanted` bytes of credit; what it returns may be sent now (0: wait for a grant).
    public mutating func take(upTo wanted: Int) -> Int {
        let granted = min(wanted, available)
        available -= granted
        return granted
    }

    /// Gives back credit taken and not used (a read shorter than the credit taken for it).
    public mutating func giveBack(_ bytes: Int) { available += bytes }

    /// The receiver granted `bytes` more. False when the credit would exceed
    /// `TunnelMessage.maxWindow`: a receiver granting bytes it was never sent.
    public mutating func grant(_ bytes: Int) -> Bool {
        guard bytes > 0, available + bytes <= TunnelMessage.maxWindow else { return false }
        available += bytes
        return true
    }
}

/// The receiver's side: bytes received and not yet passed on, and the grants to send back.
public struct ReceiveWindow: Sendable, Equatable {
    public let size: Int
    /// Received and not yet granted back.
    public private(set) var outstanding = 0
    /// Passed on and not yet granted back.
    public private(set) var deliveredUngranted = 0

    public init(size: Int) { self.size = size }

    /// `bytes` arrived. False when they exceed the window: the sender broke the protocol.
    public mutating func receive(_ bytes: Int) -> Bool {
        guard outstanding + bytes <= size else { return false }
        outstanding += bytes
        return true
    }

    /// `bytes` were passed on; the grant to send back now, if any. Grants wait until a quarter
    /// of the window was passed on (a stream of small writes does not cost a message each) —
    /// never longer: a sender out of credit has sent the whole window, and passing all of it on
    /// crosses the quarter.
    public mutating func deliver(_ bytes: Int) -> Int? {
        deliveredUngranted += bytes
        guard deliveredUngranted >= max(1, size / 4) else { return nil }
        let grant = deliveredUngranted
        outstanding -= grant
        deliveredUngranted = 0
        return grant
    }
}
