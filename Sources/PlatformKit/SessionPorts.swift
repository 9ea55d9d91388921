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
    /// on this time (TCP only: a browser cannot open a UDP URL).
    public static func endpoints(_ ports: [SessionSpec.Port], hostPort: (SessionSpec.Port) -> Int?,
                                 scheme: String, host: String) -> [Endpoint] {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return ports.map { port in
            let url = (port.protocol ?? "tcp") == "tcp" ? hostPort(port).map { "\(scheme)://\(bracketed):\($0)" } : nil
            return Endpoint(name: port.name, port: port.port, url: url)
        }
    }
}
