import DriverModel

/// One line of a watch stream: `{"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": …}`.
/// An ERROR carrying a 410 Status means the resourceVersion is too old: list again.
package struct WatchEvent: Sendable {
    package enum Kind: Sendable, Equatable { case added, modified, deleted, bookmark, expired, error }

    package var kind: Kind
    package var object: JSONValue
    /// Where the next watch resumes (also on bookmarks).
    package var resourceVersion: String?

    package init?(line: [UInt8]) {
        guard !line.isEmpty, let event = try? StrictJSON.parse(line), let type = event["type"]?.stringValue,
              let object = event["object"] else { return nil }
        self.object = object
        resourceVersion = object["metadata"]?["resourceVersion"]?.stringValue
        switch type {
        case "ADDED": kind = .added
        case "MODIFIED": kind = .modified
        case "DELETED": kind = .deleted
        case "BOOKMARK": kind = .bookmark
        case "ERROR": kind = object["code"]?.intValue == 410 || object["reason"]?.stringValue == "Expired" ? .expired : .error
        default: return nil
        }
    }

    package var pod: PodState? { kind == .bookmark || kind == .error || kind == .expired ? nil : PodState(pod: object) }
}
