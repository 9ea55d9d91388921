import DriverModel

/// A session's template ports, written into one platform label or key at creation
/// ("vnc=3000/tcp,audio=4713/tcp") so that any later agent can name the endpoints again.
/// Port names are a-z, 0-9 and '-' (the spec's rule), so the format needs no escaping.
public enum PortList {
    public static func encode(_ ports: [SessionSpec.Port]) -> String {
        ports.map { "\($0.name)=\($0.port)/\($0.protocol ?? "tcp")" }.joined(separator: ",")
    }

    public static func decode(_ text: String) -> [SessionSpec.Port] {
        text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            // Anyone who can label a container can write this text: "vnc=/" has no first part.
            let portAndProtocol = parts[1].split(separator: "/")
            guard let first = portAndProtocol.first, let port = Int(first), (1...65535).contains(port) else { return nil }
            return SessionSpec.Port(name: String(parts[0]), port: port,
                                    protocol: portAndProtocol.count > 1 ? String(portAndProtocol[1]) : "tcp")
        }
    }

    /// A session's endpoints: each template port with the URL of the host port it is published
    /// on this time (TCP only: a browser cannot open a UDP URL). `dialHost`: where the agent
    /// itself connects to them, when that is not `host` (PublishingConfig.dialHost).
    public static func endpoints(_ ports: [SessionSpec.Port], hostPort: (SessionSpec.Port) -> Int?,
                                 scheme: String, host: String, dialHost: String? = nil) -> [Endpoint] {
        func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
        return ports.map { port in
            guard (port.protocol ?? "tcp") == "tcp", let published = hostPort(port) else {
                return Endpoint(name: port.name, port: port.port)
            }
            let dial = dialHost.flatMap { $0 == host ? nil : "\(bracketed($0)):\(published)" }
            return Endpoint(name: port.name, port: port.port, url: "\(scheme)://\(bracketed(host)):\(published)", dial: dial)
        }
    }
}
