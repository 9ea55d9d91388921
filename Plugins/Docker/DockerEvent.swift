import DriverModel

/// One line of Docker's event stream that the driver acts on: a session's container started,
/// died or was removed. Any other line (not JSON, another action, no valid session label) is nil.
package struct DockerEvent: Sendable, Equatable {
    package static let actions: Set<String> = ["start", "die", "destroy"]

    package var action: String
    package var sessionID: String

    package init?(line: [UInt8]) {
        guard let event = try? JSONValue(parsing: line),
              let action = event["Action"]?.stringValue, Self.actions.contains(action),
              let sessionID = event["Actor"]?["Attributes"]?[DockerNames.sessionLabel]?.stringValue,
              (try? DockerNames.requireValidSession(sessionID)) != nil else { return nil }
        self.action = action
        self.sessionID = sessionID
    }
}
