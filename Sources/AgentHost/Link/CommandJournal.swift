import ControlPlaneProtocol
import Dispatch
import DriverModel
import Glibc
import Logging
import Synchronization

/// One line of the command journal: a command begun (written, and on disk, before the driver is
/// called) or the verdict it got (`complete` / `failed`, as sent).
enum JournalRecord: Equatable, Sendable {
    case begun(commandID: String, action: String, sessionID: String)
    case finished(commandID: String, action: String, sessionID: String, replies: [Message])

    var commandID: String {
        switch self {
        case .begun(let id, _, _), .finished(let id, _, _, _): id
        }
    }

    /// One JSON object on one line (JSON escapes every newline inside strings).
    var line: [UInt8] {
        var object: [String: JSONValue] = ["id": .string(commandID)]
        switch self {
        case .begun(_, let action, let sessionID):
            object["begun"] = .string(action)
            object["session"] = .string(sessionID)
        case .finished(_, let action, let sessionID, let replies):
            object["finished"] = .string(action)
            object["session"] = .string(sessionID)
            object["verdict"] = .array(replies.map { reply in
                .object(["type": .string(reply.type), "timestamp": reply.timestamp.map(JSONValue.string) ?? .null,
                         "payload": reply.payload])
            })
        }
        return JSONValue.object(object).jsonBytes() + [UInt8(ascii: "\n")]
    }

    /// Nil for a line that is not a record: the torn last line of a crash, or damage.
    init?(line: some Collection<UInt8>) {
        guard let value = try? StrictJSON.parse(Array(line)), let id = value["id"]?.stringValue,
              let sessionID = value["session"]?.stringValue else { return nil }
        if let action = value["begun"]?.stringValue {
            self = .begun(commandID: id, action: action, sessionID: sessionID)
            return
        }
        guard let action = value["finished"]?.stringValue, let verdict = value["verdict"]?.arrayValue else { return nil }
        var replies: [Message] = []
        for reply in verdict {
            guard case .success(let message) = Message.decode(bytes: reply.jsonBytes()) else { return nil }
            replies.append(message)
        }
        self = .finished(commandID: id, action: action, sessionID: sessionID, replies: replies)
    }
}

/// What the journal knows of the last `capacity` command ids, oldest forgotten first: pure
/// state, rebuilt from the file's records at start-up and kept in step with every append.
struct JournalIndex: Sendable {
    struct Entry: Equatable, Sendable {
        var action: String
        var sessionID: String
        /// Nil while begun and not finished: read at start-up, the agent died while it ran.
        var verdict: [Message]?
    }

    let capacity: Int
    private(set) var entries: [String: Entry] = [:]
    /// Ids in the order first seen, oldest first (may hold ids already forgotten).
    private var order: [String] = []
    private var oldest = 0

    init(capacity: Int) { self.capacity = capacity }

    subscript(id: String) -> Entry? { entries[id] }

    mutating func apply(_ record: JournalRecord) {
        let id = record.commandID
        if entries[id] == nil { order.append(id) }
        switch record {
        case .begun(_, let action, let sessionID): entries[id] = Entry(action: action, sessionID: sessionID)
        case .finished(_, let action, let sessionID, let replies): entries[id] = Entry(action: action, sessionID: sessionID, verdict: replies)
        }
        while entries.count > capacity {
            entries[order[oldest]] = nil
            oldest += 1
        }
        if oldest > capacity {  // drop the forgotten prefix now and then, not on every append
            order.removeFirst(oldest)
            oldest = 0
        }
    }

    /// One record per remembered id, oldest first: what a compacted file holds.
    var records: [JournalRecord] {
        order[oldest...].compactMap { id in
            entries[id].map { entry in
                entry.verdict.map { .finished(commandID: id, action: entry.action, sessionID: entry.sessionID, replies: $0) }
                    ?? .begun(commandID: id, action: entry.action, sessionID: entry.sessionID)
            }
        }
    }

    /// Sessions the commands remembered may have left on the platform: all but those whose last
    /// command was a completed stop. After a restart the agent knows no session, so one of these
    /// gone while it was down would otherwise never be reported gone.
    var sessionsLeftExisting: Set<String> {
        var last: [String: Entry] = [:]
        for id in order[oldest...] { if let entry = entries[id] { last[entry.sessionID] = entry } }
        return Set(last.filter { _, entry in
            !(entry.action == "stop_session" && entry.verdict?.contains { $0.type == "complete" } == true)
        }.keys)
    }

    /// Reads a journal file's bytes: one record per line; lines that are not records (a torn
    /// last line, damage) are skipped and counted.
    static func load(_ bytes: [UInt8], capacity: Int) -> (index: JournalIndex, records: Int, skipped: Int) {
        var index = JournalIndex(capacity: capacity)
        var records = 0, skipped = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            if let record = JournalRecord(line: line) {
                index.apply(record)
                records += 1
            } else {
                skipped += 1
            }
        }
        return (index, records, skipped)
    }
}

/// The command ids this agent has seen, kept in `<state-dir>/command-journal` so that a command
/// seen before a crash is never executed twice: a command is recorded as begun — on disk,
/// fsync'd — before the driver is called, and its verdict when it ends.
///
/// An append-only file of one-line records, rewritten (write, fsync, rename, fsync the folder)
/// to one record per remembered id when it grows past three times the capacity, so it stays
/// bounded. Writes run on a serial queue of their own, never on Swift's pool or an event loop.
final class CommandJournal: Sendable {
    static let fileName = "command-journal"
    let path: String
    private let directory: String
    private let queue = DispatchQueue(label: "streamspace.command-journal")

    /// What lookups read; never held across a write, so a lookup never waits for a disk.
    private let index: Mutex<JournalIndex>
    /// The open file and its line count: touched only on `queue`.
    private struct File {
        var descriptor: Int32
        var lines: Int
    }
    private let file: Mutex<File>
    /// Records waiting for the next group commit, with their callers.
    private struct Pending {
        var records: [(record: JournalRecord, caller: CheckedContinuation<LinkError?, Never>)] = []
        var scheduled = false
    }
    private let pending = Mutex(Pending())

    /// What was read at start-up, for the log.
    let loaded: (records: Int, skipped: Int, interrupted: Int)

    /// Opens (creating it if needed) the journal in `directory`, reading what is there.
    init(directory: String, capacity: Int = 4096) throws(LinkError) {
        self.directory = directory
        path = directory + "/" + Self.fileName
        try StateFiles.makeDirectories(directory)
        let (index, records, skipped) = JournalIndex.load(try Self.readAll(path), capacity: capacity)
        let interrupted = index.entries.values.filter { $0.verdict == nil }.count
        loaded = (records, skipped, interrupted)
        // Start from a compacted file: no torn line left for the next append to follow.
        let descriptor = try Self.rewrite(path, directory: directory, with: index.records)
        self.index = Mutex(index)
        file = Mutex(File(descriptor: descriptor, lines: index.records.count))
    }

    deinit {
        _ = file.withLock { close($0.descriptor) }
    }

    /// The journal of an agent with a state dir, or nil (said in the log: without one, a
    /// command seen before a restart may run again).
    static func forStateDirectory(_ directory: String?, logger: Logger) -> CommandJournal? {
        guard let directory else {
            logger.notice("no --state-dir: command ids are remembered in memory only, so a command seen before a restart may run again")
            return nil
        }
        do {
            let journal = try CommandJournal(directory: directory)
            let (records, skipped, interrupted) = journal.loaded
            if records > 0 || skipped > 0 {
                logger.info("command journal \(journal.path): \(records) record(s), \(interrupted) command(s) interrupted by the last stop, \(skipped) unreadable line(s) skipped")
            }
            return journal
        } catch {
            logger.error("\(error); command ids are remembered in memory only, so a command seen before a restart may run again — check that the state dir is writable")
            return nil
        }
    }

    /// Commands begun and never finished (at start-up: cut short by a crash), oldest first.
    var interrupted: [(commandID: String, entry: JournalIndex.Entry)] {
        index.withLock { index in
            index.records.compactMap { record in
                guard case .begun(let id, _, _) = record, let entry = index[id] else { return nil }
                return (id, entry)
            }
        }
    }

    /// See `JournalIndex.sessionsLeftExisting`.
    var sessionsLeftExisting: Set<String> { index.withLock { $0.sessionsLeftExisting } }

    /// What the journal knows of a command id.
    func entry(_ commandID: String) -> JournalIndex.Entry? {
        index.withLock { $0[commandID] }
    }

    /// Records the record and returns once it is on disk (or failed to be: then it says why).
    /// Records that arrive while a write is under way go to disk together, with one write and
    /// one fsync (a group commit): 64 commands in flight cost one fsync, not 64.
    @discardableResult
    func record(_ record: JournalRecord) async -> LinkError? {
        await withCheckedContinuation { caller in
            let schedule = pending.withLock { pending -> Bool in
                pending.records.append((record, caller))
                defer { pending.scheduled = true }
                return !pending.scheduled
            }
            if schedule { queue.async { self.flush() } }
        }
    }

    /// On the journal's queue: every record waiting, appended at once; then their callers go on.
    private func flush() {
        let batch = pending.withLock { pending in
            defer { pending = Pending() }
            return pending.records
        }
        guard !batch.isEmpty else { return }
        let error = append(batch.map(\.record))
        for (_, caller) in batch { caller.resume(returning: error) }
    }

    /// On the journal's queue: append, fsync, and compact when the file has grown enough.
    private func append(_ records: [JournalRecord]) -> LinkError? {
        let compacted = index.withLock { index -> [JournalRecord]? in
            for record in records { index.apply(record) }
            return file.withLock { $0.lines } + records.count >= 3 * index.capacity ? index.records : nil
        }
        return file.withLock { file -> LinkError? in
            do throws(LinkError) {
                if let compacted {
                    let descriptor = try Self.rewrite(path, directory: directory, with: compacted)
                    close(file.descriptor)
                    file = File(descriptor: descriptor, lines: compacted.count)
                    return nil
                }
                var bytes: [UInt8] = []
                for record in records { bytes.append(contentsOf: record.line) }
                let written = bytes.withUnsafeBytes { write(file.descriptor, $0.baseAddress, $0.count) }
                guard written == bytes.count, fsync(file.descriptor) == 0 else { throw Self.failure("cannot append to", path) }
                file.lines += records.count
                return nil
            } catch {
                return error
            }
        }
    }

    // MARK: Files

    private static func readAll(_ path: String) throws(LinkError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return [] }
            throw .configuration("cannot read the command journal \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return bytes
    }

    /// Replaces the file with `records` (crash-safe, `StateFiles.replace`); returns it open for
    /// appending.
    private static func rewrite(_ path: String, directory: String, with records: [JournalRecord]) throws(LinkError) -> Int32 {
        try StateFiles.replace(path, in: directory, with: records.flatMap(\.line))
        let appending = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard appending >= 0 else { throw failure("cannot open", path) }
        return appending
    }

    private static func failure(_ what: String, _ path: String) -> LinkError {
        .configuration("\(what) \(path) for the command journal: \(String(cString: strerror(errno)))")
    }
}
