import Synchronization

/// The open tunnel streams of one agent connection, by id. Ids are picked here: the lowest
/// unused one after the last picked, 1…4294967295 (the protocol's range).
final class TunnelTable: Sendable {
    /// Open streams per connection at most: each may hold a window of inbound bytes.
    static let maxStreams = 1024

    private struct State {
        var streams: [UInt32: TunnelStream] = [:]
        var lastId: UInt32 = 0
        var closedReason: String?
    }

    private let state = Mutex(State())

    /// A new stream under a fresh id; nil with the reason when the connection is gone or
    /// the table is full.
    func add(_ make: (UInt32) -> TunnelStream) -> Result<TunnelStream, TunnelStreamError> {
        state.withLock { state in
            if let reason = state.closedReason { return .failure(TunnelStreamError(.connectionLost, reason)) }
            guard state.streams.count < Self.maxStreams else {
                return .failure(TunnelStreamError(.misuse, "\(Self.maxStreams) streams are open on this agent's connection"))
            }
            var id = state.lastId
            repeat { id = id == .max ? 1 : id + 1 } while state.streams[id] != nil
            state.lastId = id
            let stream = make(id)
            state.streams[id] = stream
            return .success(stream)
        }
    }

    func stream(_ id: UInt32) -> TunnelStream? { state.withLock { $0.streams[id] } }

    func remove(_ id: UInt32) { _ = state.withLock { $0.streams.removeValue(forKey: id) } }

    var count: Int { state.withLock { $0.streams.count } }

    /// The connection is gone: every stream fails, no new one opens.
    func closeAll(reason: String) {
        let streams = state.withLock { state -> [TunnelStream] in
            state.closedReason = state.closedReason ?? reason
            defer { state.streams.removeAll() }
            return Array(state.streams.values)
        }
        for stream in streams { stream.fail(TunnelStreamError(.connectionLost, reason)) }
    }
}
