import DriverModel
import PlatformKit

/// What one pod says about its session: its name and IP, whether it is Ready, and — when it
/// cannot start or keep running — Kubernetes' own reason (ImagePullBackOff, ErrImagePull,
/// Unschedulable with the scheduler's message, CrashLoopBackOff, OOMKilled, Evicted…).
package struct PodState: Sendable, Equatable {
    package var name: String
    package var sessionID: String?
    package var ip: String?
    /// The IP of the pod's node (a NodePort is open there).
    package var hostIP: String?
    package var phase: String
    package var ready: Bool
    package var deleting: Bool
    /// Why the pod cannot run, "<Reason>: <message>"; nil while it is starting or running.
    package var failure: String?
    package var resourceVersion: String?

    /// Container waiting reasons that do not pass by themselves: the kubelet keeps retrying, but
    /// the session will not come up until someone changes the image or the template.
    static let failedWaitingReasons: Set<String> = [
        "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull",
        "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    ]

    package init?(pod: JSONValue) {
        guard let metadata = pod["metadata"], let name = metadata["name"]?.stringValue else { return nil }
        self.name = name
        sessionID = metadata["labels"]?[KubernetesNames.sessionLabel]?.stringValue
        resourceVersion = metadata["resourceVersion"]?.stringValue
        deleting = metadata["deletionTimestamp"]?.stringValue != nil
        let status = pod["status"]
        ip = status?["podIP"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        hostIP = status?["hostIP"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        phase = status?["phase"]?.stringValue ?? "Pending"
        let conditions = status?["conditions"]?.arrayValue ?? []
        func condition(_ type: String) -> JSONValue? { conditions.first { $0["type"]?.stringValue == type } }
        ready = condition("Ready")?["status"]?.stringValue == "True"
        failure = Self.failure(status: status, scheduled: condition("PodScheduled"), podName: name)
    }

    private static func failure(status: JSONValue?, scheduled: JSONValue?, podName: String) -> String? {
        let phase = status?["phase"]?.stringValue
        if phase == "Failed" {
            // Evicted, DeadlineExceeded, a node shutdown…
            let reason = status?["reason"]?.stringValue ?? "Failed"
            return join(reason, status?["message"]?.stringValue)
        }
        if scheduled?["status"]?.stringValue == "False", scheduled?["reason"]?.stringValue == "Unschedulable" {
            return join("Unschedulable", scheduled?["message"]?.stringValue)
        }
        for container in status?["containerStatuses"]?.arrayValue ?? [] {
            let last = container["lastState"]?["terminated"]
            let restarts = container["restartCount"]?.intValue ?? 0
            if last?["reason"]?.stringValue == "OOMKilled" || container["state"]?["terminated"]?["reason"]?.stringValue == "OOMKilled" {
                return "OOMKilled: the session ran out of memory (its memory limit) and was killed; restarted \(restarts) time\(restarts == 1 ? "" : "s") — raise the template's memory"
            }
            if let waiting = container["state"]?["waiting"], let reason = waiting["reason"]?.stringValue,
               failedWaitingReasons.contains(reason) {
                var message = waiting["message"]?.stringValue ?? ""
                if reason == "CrashLoopBackOff", let code = last?["exitCode"]?.intValue {
                    // Waiting to restart: every run so far has exited (the first, and each restart).
                    message = "the container exited with code \(code), \(restarts + 1) times" + (message.isEmpty ? "" : " (\(message))")
                }
                return join(reason, message)
            }
        }
        return nil
    }

    private static func join(_ reason: String, _ message: String?) -> String {
        guard let message, !message.isEmpty else { return reason }
        return "\(reason): \(message)"
    }
}

/// A session's status from its Deployment and pods: hibernated when scaled to 0, running when a
/// pod is Ready, failed with the pod's reason when it cannot start, starting otherwise.
package struct SessionView: Sendable {
    package var sessionID: String
    package var replicas: Int64
    package var ports: [SessionSpec.Port]
    package var pods: [PodState]
    package var namespace: String

    package init(sessionID: String, deployment: JSONValue, pods: [PodState], namespace: String) {
        self.sessionID = sessionID
        replicas = deployment["spec"]?["replicas"]?.intValue ?? 1
        ports = PortList.decode(deployment["metadata"]?["annotations"]?[KubernetesNames.portsAnnotation]?.stringValue ?? "")
        self.pods = pods
        self.namespace = namespace
    }

    /// The pod that speaks for the session: a Ready one, else one that is not going away.
    package var pod: PodState? {
        pods.first { $0.ready && !$0.deleting } ?? pods.first { !$0.deleting } ?? pods.first
    }

    /// `publicURLs` (by port name) replace the endpoints' in-cluster URLs, which then stay in
    /// `platformMetadata.internalEndpoints`.
    package func status(publicURLs: [String: String] = [:], endpointHost: (PodState) -> String?) -> SessionStatus {
        var metadata: [String: JSONValue] = [
            "deployment": .string(KubernetesNames.deployment(sessionID)),
            "namespace": .string(namespace),
        ]
        if replicas == 0 {
            return SessionStatus(sessionId: sessionID, state: .hibernated, platformMetadata: metadata)
        }
        guard let pod else { return SessionStatus(sessionId: sessionID, state: .starting, platformMetadata: metadata) }
        metadata["podName"] = .string(pod.name)
        if let ip = pod.ip { metadata["podIP"] = .string(ip) }
        if pod.ready && !pod.deleting {
            let host = endpointHost(pod)
            var endpoints = PortList.endpoints(ports, hostPort: { host == nil ? nil : $0.port }, scheme: "http", host: host ?? "")
            if !publicURLs.isEmpty {
                metadata["internalEndpoints"] = .object(Dictionary(
                    endpoints.compactMap { endpoint in endpoint.url.map { (endpoint.name, JSONValue.string($0)) } },
                    uniquingKeysWith: { first, _ in first }))
                for index in endpoints.indices {
                    if let url = publicURLs[endpoints[index].name] { endpoints[index].url = url }
                }
            }
            return SessionStatus(sessionId: sessionID, state: .running, endpoints: endpoints, platformMetadata: metadata)
        }
        if let failure = pod.failure {
            return SessionStatus(sessionId: sessionID, state: .failed, platformMetadata: metadata,
                                 message: "pod \(pod.name): \(failure)")
        }
        return SessionStatus(sessionId: sessionID, state: .starting, platformMetadata: metadata)
    }
}
