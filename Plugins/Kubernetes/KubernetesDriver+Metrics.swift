import DriverModel
import PlatformKit

extension KubernetesDriver {
    /// The cluster's figures: allocatable CPU, memory and ephemeral storage summed over the
    /// nodes; usage from metrics.k8s.io when the cluster serves it, else what the session pods
    /// request (they request what they may use: requests = limits).
    func nodeMetrics() async throws -> NodeMetrics {
        let api = try api()
        let nodes = try await api.list("/api/v1/nodes", selector: "", what: "listing nodes").items
        var cores = 0.0, memory: Int64 = 0, disk: Int64 = 0
        for node in nodes {
            let allocatable = node["status"]?["allocatable"] ?? node["status"]?["capacity"]
            cores += Double(allocatable?["cpu"]?.stringValue.flatMap(ResourceQuantity.cpuMillicores) ?? 0) / 1000
            memory += allocatable?["memory"]?.stringValue.flatMap(ResourceQuantity.bytes) ?? 0
            disk += allocatable?["ephemeral-storage"]?.stringValue.flatMap(ResourceQuantity.bytes) ?? 0
        }
        var usedCores = 0.0, usedMemory: Int64 = 0
        let usage = try await api.call(.GET, "/apis/metrics.k8s.io/v1beta1/nodes", allowed: [403, 404, 503],
                                       what: "reading node usage")
        if usage.isSuccess {
            for item in try usage.json()["items"]?.arrayValue ?? [] {
                usedCores += Double(item["usage"]?["cpu"]?.stringValue.flatMap(Self.millicores) ?? 0) / 1000
                usedMemory += item["usage"]?["memory"]?.stringValue.flatMap(ResourceQuantity.bytes) ?? 0
            }
        } else {
            for pod in try await api.list(api.pods, selector: KubernetesNames.managedSelector, what: "listing the session pods").items
            where pod["status"]?["phase"]?.stringValue == "Running" {
                for container in pod["spec"]?["containers"]?.arrayValue ?? [] {
                    let requests = container["resources"]?["requests"]
                    usedCores += Double(requests?["cpu"]?.stringValue.flatMap(ResourceQuantity.cpuMillicores) ?? 0) / 1000
                    usedMemory += requests?["memory"]?.stringValue.flatMap(ResourceQuantity.bytes) ?? 0
                }
            }
        }
        return NodeMetrics(cpuCores: cores, cpuUsedCores: usedCores, memoryBytes: memory, memoryUsedBytes: usedMemory,
                           diskBytes: disk, diskUsedBytes: 0)
    }

    /// The session pod's usage from metrics.k8s.io, its limit from the pod's spec.
    func sessionMetrics(_ id: String) async throws -> SessionMetrics {
        try KubernetesNames.requireValidSession(id)
        let api = try await locate(id)?.api ?? api()
        let pods = try await api.list(api.pods, selector: KubernetesNames.sessionSelector(id), what: "listing the pods of \(id)").items
        guard let pod = pods.first(where: { PodState(pod: $0)?.ready == true }) ?? pods.first,
              let name = pod["metadata"]?["name"]?.stringValue else {
            guard try await api.get("\(api.deployments)/\(KubernetesNames.deployment(id))", what: "reading the deployment of \(id)") != nil else {
                throw notFound(id)
            }
            return SessionMetrics(sessionId: id, cpuUsedCores: 0, memoryBytes: 0, memoryUsedBytes: 0)
        }
        let limit = pod["spec"]?["containers"]?.arrayValue?.first?["resources"]?["limits"]?["memory"]?.stringValue
            .flatMap(ResourceQuantity.bytes) ?? 0
        let response = try await api.call(.GET, "/apis/metrics.k8s.io/v1beta1/namespaces/\(api.namespace)/pods/\(name)",
                                          allowed: [404, 503], what: "reading the usage of pod \(name)")
        guard response.isSuccess else {
            throw DriverError(.unavailable, "kubernetes: no usage for pod \(name): metrics.k8s.io is not served or has no sample yet (install metrics-server)")
        }
        var cpu = 0.0, used: Int64 = 0
        for container in try response.json()["containers"]?.arrayValue ?? [] {
            cpu += Double(container["usage"]?["cpu"]?.stringValue.flatMap(Self.millicores) ?? 0) / 1000
            used += container["usage"]?["memory"]?.stringValue.flatMap(ResourceQuantity.bytes) ?? 0
        }
        return SessionMetrics(sessionId: id, cpuUsedCores: cpu, memoryBytes: limit, memoryUsedBytes: used)
    }

    /// metrics.k8s.io writes CPU in nanocores ("123456789n") and microcores ("1200u") too.
    static func millicores(_ text: String) -> Int64? {
        if text.hasSuffix("n"), let nanos = Int64(text.dropLast()) { return nanos / 1_000_000 }
        if text.hasSuffix("u"), let micros = Int64(text.dropLast()) { return micros / 1_000 }
        return ResourceQuantity.cpuMillicores(text)
    }
}
