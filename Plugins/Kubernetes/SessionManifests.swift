import DriverModel
import PlatformKit

/// The objects a session becomes, as the JSON the API server takes: a Deployment of one pod, a
/// Service named exactly the session id (ClusterIP, or NodePort / LoadBalancer per `expose`)
/// and, with `expose: ingress`, an Ingress of the same name — both owned by the Deployment, so
/// deleting it removes them too — and the user's home PVC. Everything is checked here, before any
/// call: a spec Kubernetes would refuse must fail with the key that is wrong, not half-created.
package struct SessionManifests: Sendable {
    package var namespace: String
    package var storageClass: String?
    package var homeSize: String
    package var homeAccessMode: String
    package var homeMountPath: String
    package var imagePullPolicy: String?
    package var exposure: SessionExposure

    package init(namespace: String, storageClass: String? = nil, homeSize: String = "10Gi",
                 homeAccessMode: String = "ReadWriteOnce", homeMountPath: String = "/config",
                 imagePullPolicy: String? = nil, exposure: SessionExposure = SessionExposure()) {
        self.namespace = namespace
        self.storageClass = storageClass
        self.homeSize = homeSize
        self.homeAccessMode = homeAccessMode
        self.homeMountPath = homeMountPath
        self.imagePullPolicy = imagePullPolicy
        self.exposure = exposure
    }

    static let containerName = "session"
    static let homeVolume = "home"

    /// The labels every object of the session carries (and the pods: the selector's source).
    package static func labels(_ spec: SessionSpec) -> [String: String] {
        var labels = [KubernetesNames.managedLabel: "true", KubernetesNames.sessionLabel: spec.id,
                      KubernetesNames.userLabel: spec.user]
        if let template = spec.template.name, KubernetesNames.isLabelValue(template), !template.isEmpty {
            labels[KubernetesNames.templateLabel] = template
        }
        return labels
    }

    /// Checks what Kubernetes would refuse (R7: before touching the platform).
    package static func validate(_ spec: SessionSpec) throws(DriverError) {
        try KubernetesNames.requireValidSession(spec.id)
        try KubernetesNames.requireValidUser(spec.user)
        let image = spec.template.image
        guard !image.isEmpty, image.utf8.count <= 4096,
              image.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw DriverError(.invalidArgument, "kubernetes: template image \"\(image)\" is not an image reference (no spaces or control characters)")
        }
        var seenNames = Set<String>(), seenPorts = Set<String>()
        for port in spec.template.ports {
            guard (1...65535).contains(port.port) else {
                throw DriverError(.invalidArgument, "kubernetes: template port \"\(port.name)\" is \(port.port): a port must be from 1 to 65535")
            }
            guard isPortName(port.name) else {
                throw DriverError(.invalidArgument, "kubernetes: template port name \"\(port.name)\" is not a Kubernetes port name (at most 15 of a-z, 0-9, '-', with a letter)")
            }
            guard protocolName(port.protocol) != nil else {
                throw DriverError(.invalidArgument, "kubernetes: template port \"\(port.name)\" has protocol \"\(port.protocol ?? "")\": tcp, udp or sctp")
            }
            guard seenNames.insert(port.name).inserted, seenPorts.insert("\(port.port)/\(protocolName(port.protocol)!)").inserted else {
                throw DriverError(.invalidArgument, "kubernetes: template port \"\(port.name)\" repeats a name or a port")
            }
        }
        for name in spec.template.env.keys where !isEnvName(name) {
            throw DriverError(.invalidArgument, "kubernetes: template env name \"\(name)\" is not a valid variable name")
        }
        for mount in spec.template.volumeMounts {
            guard KubernetesNames.isDNSLabel(mount.name) else {
                throw DriverError(.invalidArgument, "kubernetes: template volume mount name \"\(mount.name)\" is not a Kubernetes name")
            }
            guard mount.mountPath.hasPrefix("/"), !mount.mountPath.split(separator: "/").contains("..") else {
                throw DriverError(.invalidArgument, "kubernetes: template volume mount \"\(mount.name)\" path must be absolute without '..'")
            }
        }
    }

    package func deployment(_ spec: SessionSpec) throws(DriverError) -> JSONValue {
        try Self.validate(spec)
        let labels = Self.labels(spec)
        var container: [String: JSONValue] = [
            "name": .string(Self.containerName),
            "image": .string(spec.template.image),
            "resources": .object([
                // Requests equal to limits: the Guaranteed QoS class, what the scheduler reserves
                // is what the session may use.
                "requests": .object(["cpu": .string(spec.resources.cpu), "memory": .string(spec.resources.memory)]),
                "limits": .object(["cpu": .string(spec.resources.cpu), "memory": .string(spec.resources.memory)]),
            ]),
        ]
        if let imagePullPolicy { container["imagePullPolicy"] = .string(imagePullPolicy) }
        if !spec.template.env.isEmpty {
            container["env"] = .array(spec.template.env.sorted { $0.key < $1.key }.map {
                .object(["name": .string($0.key), "value": .string($0.value)])
            })
        }
        if !spec.template.ports.isEmpty {
            container["ports"] = .array(spec.template.ports.map {
                .object(["name": .string($0.name), "containerPort": .int(Int64($0.port)),
                         "protocol": .string(Self.protocolName($0.protocol)!)])
            })
        }
        // Ready means the session answers on its first port (the viewer's), probed every second:
        // without a probe a process that dies at once can be Ready for an instant, and its
        // start reported running before CrashLoopBackOff.
        if let first = spec.template.ports.first, Self.protocolName(first.protocol) == "TCP" {
            container["readinessProbe"] = .object(["tcpSocket": .object(["port": .string(first.name)]),
                                                   "periodSeconds": .int(1)])
        }
        var volumes: [JSONValue] = []
        var mounts: [JSONValue] = []
        if spec.persistentHome {
            volumes.append(.object(["name": .string(Self.homeVolume),
                                    "persistentVolumeClaim": .object(["claimName": .string(KubernetesNames.homeClaim(spec.user))])]))
            if spec.template.volumeMounts.isEmpty {
                mounts.append(.object(["name": .string(Self.homeVolume), "mountPath": .string(homeMountPath)]))
            } else {
                // One claim per user: each template mount is a folder of it.
                for mount in spec.template.volumeMounts {
                    mounts.append(.object(["name": .string(Self.homeVolume), "mountPath": .string(mount.mountPath),
                                           "subPath": .string(mount.name)]))
                }
            }
        } else {
            for mount in spec.template.volumeMounts {
                volumes.append(.object(["name": .string(mount.name), "emptyDir": .object([:])]))
                mounts.append(.object(["name": .string(mount.name), "mountPath": .string(mount.mountPath)]))
            }
        }
        if !mounts.isEmpty { container["volumeMounts"] = .array(mounts) }
        var podSpec: [String: JSONValue] = [
            "containers": .array([.object(container)]),
            // A session has no business with the API server, nor with other Services' addresses.
            "automountServiceAccountToken": .bool(false),
            "enableServiceLinks": .bool(false),
        ]
        if !volumes.isEmpty { podSpec["volumes"] = .array(volumes) }
        let selector: [String: String] = [KubernetesNames.managedLabel: "true", KubernetesNames.sessionLabel: spec.id]
        return .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("Deployment"),
            "metadata": .object([
                "name": .string(KubernetesNames.deployment(spec.id)),
                "namespace": .string(namespace),
                "labels": Self.stringMap(labels),
                "annotations": .object([KubernetesNames.portsAnnotation: .string(PortList.encode(spec.template.ports))]),
            ]),
            "spec": .object([
                "replicas": .int(1),
                "selector": .object(["matchLabels": Self.stringMap(selector)]),
                // The old pod goes before the new one comes: a ReadWriteOnce home cannot be
                // mounted by two pods at once.
                "strategy": .object(["type": .string("Recreate")]),
                "template": .object([
                    "metadata": .object(["labels": Self.stringMap(labels)]),
                    "spec": .object(podSpec),
                ]),
            ]),
        ])
    }

    /// Nil when the template has no port: a Service needs at least one. Its type is the
    /// exposure's; a NodePort or LoadBalancer gets its node ports allocated by the API server.
    package func service(_ spec: SessionSpec, ownerUID: String) -> JSONValue? {
        guard !spec.template.ports.isEmpty else { return nil }
        var serviceSpec: [String: JSONValue] = [
            "type": .string(exposure.serviceType),
            "selector": .object([KubernetesNames.managedLabel: .string("true"), KubernetesNames.sessionLabel: .string(spec.id)]),
            "ports": .array(spec.template.ports.map {
                .object(["name": .string($0.name), "port": .int(Int64($0.port)),
                         "targetPort": .int(Int64($0.port)), "protocol": .string(Self.protocolName($0.protocol)!)])
            }),
        ]
        if exposure.mode == .loadBalancer, let loadBalancerClass = exposure.loadBalancerClass {
            serviceSpec["loadBalancerClass"] = .string(loadBalancerClass)
        }
        return .object([
            "apiVersion": .string("v1"),
            "kind": .string("Service"),
            "metadata": ownedMetadata(KubernetesNames.service(spec.id), spec: spec, ownerUID: ownerUID),
            "spec": .object(serviceSpec),
        ])
    }

    /// With `expose: ingress`, the session's Ingress: its host from `ingressHost`, one rule
    /// sending every path to the Service's web port (SessionExposure.webPort). Nil in other
    /// modes and for a template without a TCP port; an error when the host would be too long.
    package func ingress(_ spec: SessionSpec, ownerUID: String) throws(DriverError) -> JSONValue? {
        guard let settings = exposure.ingress, let port = SessionExposure.webPort(spec.template.ports),
              let host = try exposure.ingressHost(spec.id) else { return nil }
        var metadata = ownedMetadata(KubernetesNames.ingress(spec.id), spec: spec, ownerUID: ownerUID).objectValue!
        if !settings.annotations.isEmpty { metadata["annotations"] = Self.stringMap(settings.annotations) }
        var ingressSpec: [String: JSONValue] = [
            "rules": .array([.object([
                "host": .string(host),
                "http": .object(["paths": .array([.object([
                    "path": .string("/"), "pathType": .string("Prefix"),
                    "backend": .object(["service": .object([
                        "name": .string(KubernetesNames.service(spec.id)),
                        "port": .object(["name": .string(port.name)]),
                    ])]),
                ])])]),
            ])]),
        ]
        if let className = settings.className { ingressSpec["ingressClassName"] = .string(className) }
        if let secret = settings.tlsSecret {
            ingressSpec["tls"] = .array([.object(["hosts": .array([.string(host)]), "secretName": .string(secret)])])
        }
        return .object([
            "apiVersion": .string("networking.k8s.io/v1"),
            "kind": .string("Ingress"),
            "metadata": .object(metadata),
            "spec": .object(ingressSpec),
        ])
    }

    /// The metadata of an object the session's Deployment owns (the garbage collector removes
    /// it with the Deployment).
    private func ownedMetadata(_ name: String, spec: SessionSpec, ownerUID: String) -> JSONValue {
        .object([
            "name": .string(name),
            "namespace": .string(namespace),
            "labels": Self.stringMap(Self.labels(spec)),
            "ownerReferences": .array([.object([
                "apiVersion": .string("apps/v1"), "kind": .string("Deployment"),
                "name": .string(KubernetesNames.deployment(spec.id)), "uid": .string(ownerUID),
                "controller": .bool(true), "blockOwnerDeletion": .bool(true),
            ])]),
        ])
    }

    /// The user's home, shared by their sessions and kept across stops; no owner, on purpose.
    /// `session`: the session that makes it (homeSessionLabel).
    package func homeClaim(user: String, session: String) -> JSONValue {
        var spec: [String: JSONValue] = [
            "accessModes": .array([.string(homeAccessMode)]),
            "resources": .object(["requests": .object(["storage": .string(homeSize)])]),
        ]
        if let storageClass { spec["storageClassName"] = .string(storageClass) }
        return .object([
            "apiVersion": .string("v1"),
            "kind": .string("PersistentVolumeClaim"),
            "metadata": .object([
                "name": .string(KubernetesNames.homeClaim(user)),
                "namespace": .string(namespace),
                "labels": Self.stringMap([KubernetesNames.managedLabel: "true", KubernetesNames.userLabel: user,
                                          KubernetesNames.homeLabel: "true", KubernetesNames.homeSessionLabel(session): "true"]),
            ]),
            "spec": .object(spec),
        ])
    }

    /// Kubernetes' protocol names; nil for one it does not know.
    static func protocolName(_ name: String?) -> String? {
        switch (name ?? "tcp").lowercased() {
        case "tcp": "TCP"
        case "udp": "UDP"
        case "sctp": "SCTP"
        default: nil
        }
    }

    /// IANA_SVC_NAME: at most 15 of a-z, 0-9 and '-', at least one letter, no '--', no '-' at an end.
    static func isPortName(_ name: String) -> Bool {
        guard (1...15).contains(name.utf8.count), !name.hasPrefix("-"), !name.hasSuffix("-"), !name.contains("--") else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
            && name.utf8.contains { (0x61...0x7A).contains($0) }
    }

    /// What the API server accepts as an env name: printable, no '=', not empty.
    static func isEnvName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 4096 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x3D }
    }

    private static func stringMap(_ map: [String: String]) -> JSONValue {
        .object(map.mapValues { .string($0) })
    }
}
