import DriverModel
import Glibc

/// Keeps an API key the Control Plane issued (registration answers may carry one) in
/// `<dir>/api-key`, mode 0600, so a restarted agent uses it instead of the bootstrap key. The
/// file records the agent id the key was issued to, `{"agentId": "…", "apiKey": "…"}`, and a
/// key is only ever used by that agent id: the Control Plane ties a key to the agent that
/// registered with it. Written crash-safe: a temporary file, fsync, rename, fsync of the folder.
///
/// Older agents wrote the key alone. Such a file is taken as issued to the agent that owns the
/// folder it is in (one driver: `--agent-id`), and rewritten in the new form. When a second
/// driver is added, the agent keeps keys one folder down (`<state-dir>/<agent id>/api-key`):
/// the key in `<state-dir>/api-key` was issued to `--agent-id`, so it moves to the driver agent
/// whose agent id is `--agent-id` (the driver that ran before, kept under its id with
/// `--driver-agent-id NAME=<agent-id>`), never to `<agent-id>-<driver>`, which the Control
/// Plane knows as another agent.
public struct APIKeyStore: Sendable {
    let directory: String
    let agentID: String
    var path: String { directory + "/api-key" }

    /// A key file and the agent id it holds: the new form names it; the old form (a key alone)
    /// belongs to whoever owns its folder.
    struct Stored: Equatable {
        var agentID: String?
        var key: String
    }

    /// What a load found besides the key, for the agent's log.
    enum Finding: Equatable {
        case ok
        case issuedToAnother(String)
        case migrated(from: String)
        case unreadable(String)
    }

    /// This agent's key, if one is stored for it. `inherited` is the one-driver layout's folder
    /// and the agent id its old-form key belongs to (multi-driver mode only).
    func load(inherited: LinkConfiguration.InheritedKey? = nil) -> (key: String?, finding: Finding) {
        switch Self.contents(of: path) {
        case .stored(let stored):
            guard let owner = stored.agentID else {
                // The old form, in this agent's own folder: its own key. Recorded as such now.
                try? save(stored.key)
                return (stored.key, .ok)
            }
            return owner == agentID ? (stored.key, .ok) : (nil, .issuedToAnother(owner))
        case .unreadable(let problem):
            return (nil, .unreadable(problem))
        case .absent:
            break
        }
        guard let inherited else { return (nil, .ok) }
        let old = APIKeyStore(directory: inherited.directory, agentID: inherited.owner)
        guard case .stored(let stored) = Self.contents(of: old.path), (stored.agentID ?? inherited.owner) == agentID else {
            return (nil, .ok)
        }
        // Moved to this agent's own folder first; the old file stays for a one-driver agent.
        guard (try? save(stored.key)) != nil else { return (stored.key, .ok) }
        return (stored.key, .migrated(from: old.path))
    }

    /// Multi-driver mode: a key a one-driver agent left that no driver's agent will take (none
    /// has the agent id it was issued to), said once at start-up so the operator knows why the
    /// agents ask for approval anew and how to keep it.
    public static func unclaimedInheritedKey(_ configurations: [LinkConfiguration]) -> String? {
        guard let inherited = configurations.first?.inheritedKey else { return nil }
        let path = inherited.directory + "/api-key"
        guard case .stored(let stored) = contents(of: path) else { return nil }
        let owner = stored.agentID ?? inherited.owner
        let ids = configurations.map(\.agentID)
        guard !ids.contains(owner) else { return nil }
        return "the key in \(path) was issued to agent \(owner), and no driver's agent has that id now (\(ids.joined(separator: ", "))): it stays unused; to keep it, run the driver that used it under that id (--driver-agent-id NAME=\(owner))"
    }

    enum Contents: Equatable {
        case absent
        case stored(Stored)
        case unreadable(String)
    }

    static func contents(of path: String) -> Contents {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            return errno == ENOENT ? .absent : .unreadable("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while bytes.count <= 4096 {
            let count = Glibc.read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \n\r\t")
        if text.isEmpty { return .absent }
        guard text.hasPrefix("{") else { return .stored(Stored(agentID: nil, key: text)) }
        guard let object = try? JSONValue(parsing: text), let key = object["apiKey"]?.stringValue,
              let owner = object["agentId"]?.stringValue else {
            return .unreadable("\(path) is not a key file this agent wrote (expected {\"agentId\": …, \"apiKey\": …})")
        }
        return .stored(Stored(agentID: owner, key: key))
    }

    /// Stores the key as this agent id's: write, fsync, rename, fsync the folder.
    func save(_ key: String) throws {
        try StateFiles.makeDirectories(directory)
        let text = JSONValue.object(["agentId": .string(agentID), "apiKey": .string(key)]).jsonString() + "\n"
        try StateFiles.replace(path, in: directory, with: Array(text.utf8))
    }
}

extension String {
    public func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
