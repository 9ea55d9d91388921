import DriverModel
import PlatformKit

/// What the driver knows about one session's container, read from Docker's list or inspect
/// answer, and how it reads as a session status.
package struct ContainerRecord: Sendable {
    package var id: String
    package var name: String
    package var sessionID: String
    /// Docker's state: created, running, paused, restarting, removing, exited, dead.
    package var state: String
    package var exitCode: Int?
    package var finishedAt: String?
    package var error: String?
    package var oomKilled: Bool
    package var labels: [String: String]
    /// "8080/tcp" → host port.
    package var publishedPorts: [String: Int]

    package var isHibernated: Bool { DockerNames.isHibernatedName(name) }
    package var isRunning: Bool { state == "running" }

    /// From `GET /containers/json`.
    package init?(listEntry entry: JSONValue) {
        guard let id = entry["Id"]?.stringValue, let labels = Self.labels(entry["Labels"]),
              let session = labels[DockerNames.sessionLabel] else { return nil }
        self.id = id
        name = Self.trimSlash(entry["Names"]?.arrayValue?.first?.stringValue ?? "")
        sessionID = session
        state = entry["State"]?.stringValue ?? "unknown"
        exitCode = nil
        finishedAt = nil
        error = nil
        oomKilled = false
        self.labels = labels
        var ports: [String: Int] = [:]
        for port in entry["Ports"]?.arrayValue ?? [] {
            guard let privatePort = port["PrivatePort"]?.intValue, let publicPort = port["PublicPort"]?.intValue,
                  let type = port["Type"]?.stringValue else { continue }
            ports["\(privatePort)/\(type)"] = Int(publicPort)
        }
        publishedPorts = ports
    }

    /// From `GET /containers/{id}/json`, which has the exit details the list lacks.
    package init?(inspect: JSONValue) {
        guard let id = inspect["Id"]?.stringValue, let labels = Self.labels(inspect["Config"]?["Labels"]),
              let session = labels[DockerNames.sessionLabel] else { return nil }
        self.id = id
        name = Self.trimSlash(inspect["Name"]?.stringValue ?? "")
        sessionID = session
        let state = inspect["State"]
        self.state = state?["Status"]?.stringValue ?? "unknown"
        exitCode = state?["ExitCode"]?.intValue.map { Int($0) }
        finishedAt = state?["FinishedAt"]?.stringValue
        error = state?["Error"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        oomKilled = state?["OOMKilled"]?.boolValue ?? false
        self.labels = labels
        var ports: [String: Int] = [:]
        for (key, bindings) in inspect["NetworkSettings"]?["Ports"]?.objectValue ?? [:] {
            // Several bindings (IPv4 and IPv6) share one port number; the first will do.
            if let hostPort = bindings.arrayValue?.first?["HostPort"]?.stringValue, let port = Int(hostPort) {
                ports[key] = port
            }
        }
        publishedPorts = ports
    }

    /// Why a container that is not running and was not hibernated by the agent stopped.
    package var failureReason: String {
        switch state {
        case "created": return "container \(name) was created but never started"
        case "paused": return "container \(name) was paused outside the agent"
        case "dead": return "container \(name) is dead (Docker could not stop or remove it cleanly)"
        case "removing": return "container \(name) is being removed"
        default:
            var reason = "container \(name) exited"
            if let exitCode { reason += " with code \(exitCode)" }
            if oomKilled { reason += " (killed: out of memory — raise the session's memory)" }
            if let error { reason += ": \(error)" }
            if let finishedAt, !finishedAt.hasPrefix("0001-") { reason += " at \(finishedAt)" }
            return reason + "; it was not stopped by the agent"
        }
    }

    package func status(publicScheme: String, publicHost: String, dialHost: String? = nil) -> SessionStatus {
        let metadata: [String: JSONValue] = [
            "workloadName": .string(name),
            "containerId": .string(String(id.prefix(12))),
            "containerState": .string(state),
        ]
        if isRunning || state == "restarting" {
            return SessionStatus(sessionId: sessionID, state: isRunning ? .running : .starting,
                                 endpoints: endpoints(publicScheme: publicScheme, publicHost: publicHost, dialHost: dialHost),
                                 platformMetadata: metadata)
        }
        if isHibernated && (state == "exited" || state == "created") {
            return SessionStatus(sessionId: sessionID, state: .hibernated, platformMetadata: metadata)
        }
        return SessionStatus(sessionId: sessionID, state: .failed, platformMetadata: metadata, message: failureReason)
    }

    /// The template's ports (kept in a label at creation), with the host ports Docker
    /// published them on this time.
    package func endpoints(publicScheme: String, publicHost: String, dialHost: String? = nil) -> [Endpoint] {
        PortList.endpoints(PortList.decode(labels[DockerNames.portsLabel] ?? ""),
                           hostPort: { publishedPorts["\($0.port)/\($0.protocol ?? "tcp")"] },
                           scheme: publicScheme, host: publicHost, dialHost: dialHost)
    }

    private static func labels(_ value: JSONValue?) -> [String: String]? {
        guard let object = value?.objectValue else { return nil }
        return object.compactMapValues { $0.stringValue }
    }

    private static func trimSlash(_ name: String) -> String {
        name.hasPrefix("/") ? String(name.dropFirst()) : name
    }
}
