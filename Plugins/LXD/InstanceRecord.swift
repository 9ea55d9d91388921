import DriverModel
import PlatformKit

/// One session's instance as LXD describes it (GET /1.0/instances/{name}?recursion=1 with its
/// state), and how it reads as a session status.
package struct InstanceRecord: Sendable {
    package var name: String
    package var sessionID: String
    /// Running, Stopped, Frozen, Error…
    package var status: String
    package var config: [String: String]
    package var devices: [String: [String: String]]
    package var memoryUsage: Int64?
    package var cpuUsageNanoseconds: Int64?

    package init?(_ instance: JSONValue, state: JSONValue? = nil) {
        guard let name = instance["name"]?.stringValue,
              let config = instance["config"]?.objectValue?.compactMapValues(\.stringValue),
              config[LXDNames.managedKey] == "true", let session = config[LXDNames.sessionKey] else { return nil }
        self.name = name
        sessionID = session
        self.config = config
        let stateObject = state ?? instance["state"]
        status = stateObject?["status"]?.stringValue ?? instance["status"]?.stringValue ?? "Unknown"
        devices = (instance["devices"]?.objectValue ?? [:]).compactMapValues { $0.objectValue?.compactMapValues(\.stringValue) }
        memoryUsage = stateObject?["memory"]?["usage"]?.intValue
        cpuUsageNanoseconds = stateObject?["cpu"]?["usage"]?.intValue
    }

    package var isRunning: Bool { status == "Running" }
    package var isHibernated: Bool { config[LXDNames.stateKey] == "hibernated" }

    /// The host ports the proxy devices listen on, by template port name.
    package var listenPorts: [String: Int] {
        var ports: [String: Int] = [:]
        for (device, settings) in devices where device.hasPrefix(LXDNames.portDevicePrefix) && settings["type"] == "proxy" {
            if let listen = settings["listen"], let port = listen.split(separator: ":").last.flatMap({ Int($0) }) {
                ports[String(device.dropFirst(LXDNames.portDevicePrefix.count))] = port
            }
        }
        return ports
    }

    package func status(publicScheme: String, publicHost: String, dialHost: String? = nil) -> SessionStatus {
        let metadata: [String: JSONValue] = ["workloadName": .string(name), "instanceStatus": .string(status)]
        switch status {
        case "Running":
            let listen = listenPorts
            let endpoints = PortList.endpoints(PortList.decode(config[LXDNames.portsKey] ?? ""), hostPort: { listen[$0.name] },
                                               scheme: publicScheme, host: publicHost, dialHost: dialHost)
            return SessionStatus(sessionId: sessionID, state: .running, endpoints: endpoints, platformMetadata: metadata)
        case "Stopped" where isHibernated:
            return SessionStatus(sessionId: sessionID, state: .hibernated, platformMetadata: metadata)
        case "Stopped":
            return SessionStatus(sessionId: sessionID, state: .failed, platformMetadata: metadata,
                                 message: "instance \(name) stopped, and not by the agent")
        case "Frozen":
            return SessionStatus(sessionId: sessionID, state: .failed, platformMetadata: metadata,
                                 message: "instance \(name) was frozen outside the agent")
        default:
            return SessionStatus(sessionId: sessionID, state: .failed, platformMetadata: metadata,
                                 message: "instance \(name) is in state \(status)")
        }
    }
}
