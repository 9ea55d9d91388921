import Synchronization

/// A dictionary behind a mutex, for registries that C callbacks reach from any thread.
final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let storage = Mutex<[Key: Value]>([:])

    subscript(key: Key) -> Value? {
        get { storage.withLock { $0[key] } }
        set { storage.withLock { $0[key] = newValue } }
    }

    func removeValue(forKey key: Key) -> Value? {
        storage.withLock { $0.removeValue(forKey: key) }
    }

    var values: [Value] { storage.withLock { Array($0.values) } }
    var count: Int { storage.withLock { $0.count } }
}
