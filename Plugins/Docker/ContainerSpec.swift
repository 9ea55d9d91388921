import DriverModel
import PlatformKit

/// The body of `POST /containers/create` for a session: the whole translation from the
/// abstract spec to Docker, in one place to read and review.
enum ContainerSpec {
    static func body(_ spec: SessionSpec, image: ImageReference, mounts: [(volume: String, path: String)],
                     configuration: DockerConfiguration) -> JSONValue {
        var labels: [String: JSONValue] = [
            DockerNames.managedLabel: .string("true"),
            DockerNames.sessionLabel: .string(spec.id),
            DockerNames.userLabel: .string(spec.user),
            DockerNames.portsLabel: .string(PortList.encode(spec.template.ports)),
        ]
        if let template = spec.template.name { labels[DockerNames.templateLabel] = .string(template) }

        var exposed: [String: JSONValue] = [:]
        var bindings: [String: JSONValue] = [:]
        for port in spec.template.ports {
            let key = "\(port.port)/\(port.protocol ?? "tcp")"
            exposed[key] = .object([:])
            // HostPort "" lets Docker choose a free port; the URL reports the one it chose.
            bindings[key] = .array([.object(["HostIp": .string(configuration.publishAddress), "HostPort": .string("")])])
        }

        let hostConfig: [String: JSONValue] = [
            // A tiny init as PID 1 forwards SIGTERM, so stop takes milliseconds, not the timeout.
            "Init": .bool(true),
            "NanoCpus": .int(spec.resources.cpuMillicores * 1_000_000),
            "Memory": .int(spec.resources.memoryBytes),
            "PortBindings": .object(bindings),
            "NetworkMode": .string(configuration.network),
            "Mounts": .array(mounts.map { mount in
                .object(["Type": .string("volume"), "Source": .string(mount.volume), "Target": .string(mount.path)])
            }),
            // A session that dies is reported failed, not silently restarted.
            "RestartPolicy": .object(["Name": .string("no")]),
            // Never privileged, never the host's namespaces or paths (the container defaults,
            // stated so that a reader of this body sees them).
            "Privileged": .bool(false),
            "Binds": .array([]),
            "SecurityOpt": .array([.string("no-new-privileges")]),
        ]
        return .object([
            "Image": .string(image.reference),
            "Hostname": .string(String(DockerNames.container(spec.id).prefix(63))),
            "Env": .array(spec.template.env.sorted { $0.key < $1.key }.map { .string("\($0.key)=\($0.value)") }),
            "Labels": .object(labels),
            "ExposedPorts": .object(exposed),
            "HostConfig": .object(hostConfig),
        ])
    }
}
