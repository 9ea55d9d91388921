/// Records by key, kept in insertion order, optionally bounded (the oldest go first).
struct OrderedRecords<Record> {
    private(set) var keys: [String] = []
    private var values: [String: Record] = [:]
    var limit: Int?

    init(limit: Int? = nil) { self.limit = limit }

    subscript(key: String) -> Record? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil {
                    keys.append(key)
                    trim()
                }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var all: [Record] { keys.compactMap { values[$0] } }
    var count: Int { keys.count }

    private mutating func trim() {
        guard let limit, keys.count > limit else { return }
        let excess = keys.count - limit
        for key in keys.prefix(excess) { values.removeValue(forKey: key) }
        keys.removeFirst(excess)
    }
}

/// An append-only log that keeps the newest `limit` entries.
struct BoundedLog<Entry> {
    private(set) var entries: [Entry] = []
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    mutating func append(_ entry: Entry) {
        entries.append(entry)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
    }
}
