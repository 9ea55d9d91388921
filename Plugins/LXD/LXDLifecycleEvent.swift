import DriverModel

/// One event of LXD's `/1.0/events?type=lifecycle` stream, as far as sessions care:
/// `{"type": "lifecycle", "project": "default", "metadata": {"action": "instance-stopped",
/// "source": "/1.0/instances/ss-alice-1"}}`. Anything else (other types, other objects, a
/// source that is no instance) is not one.
struct LXDLifecycleEvent: Sendable, Equatable {
    var action: String
    var instance: String
    var project: String

    /// What can change a session's state; "instance-updated" and the like cannot.
    static let stateActions: Set<String> = [
        "instance-started", "instance-stopped", "instance-shutdown", "instance-restarted",
        "instance-paused", "instance-resumed", "instance-deleted",
    ]

    init?(parsing bytes: [UInt8]) {
        guard let event = try? JSONValue(parsing: bytes), event["type"]?.stringValue == "lifecycle",
              let action = event["metadata"]?["action"]?.stringValue,
              let source = event["metadata"]?["source"]?.stringValue else { return nil }
        let path = source.split(separator: "?", maxSplits: 1).first.map(String.init) ?? source
        let prefix = "/1.0/instances/"
        guard path.hasPrefix(prefix) else { return nil }
        let name = String(path.dropFirst(prefix.count))
        // Instance names are host names; a sub-resource (…/snapshots/x, …/backups/x) is not the instance.
        guard !name.isEmpty, !name.contains("/") else { return nil }
        self.action = action
        self.instance = name
        project = event["project"]?.stringValue ?? "default"
    }

    init(action: String, instance: String, project: String) {
        self.action = action
        self.instance = instance
        self.project = project
    }

    var changesState: Bool { Self.stateActions.contains(action) }
    var isStop: Bool { action == "instance-stopped" || action == "instance-shutdown" }
}
