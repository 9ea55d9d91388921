import DriverModel
import PlatformKit

extension KubernetesDriver {
    /// The session's Service when its public address is in it (`expose` nodePort or
    /// loadBalancer), else nil: nothing is read in the other modes (the base Role reads no
    /// Services; deploy/kubernetes/role-service-reader.yaml grants it).
    func publicService(_ id: String, api: KubeAPI) async throws(DriverError) -> JSONValue? {
        guard configuration.exposure.readsService else { return nil }
        return try await api.get("\(api.services)/\(KubernetesNames.service(id))", what: "reading service \(id)")
    }

    /// Every managed Service of the namespace by session id, for a list (nodePort, loadBalancer).
    func publicServices(api: KubeAPI) async throws(DriverError) -> [String: JSONValue] {
        guard configuration.exposure.readsService else { return [:] }
        let services = try await api.list(api.services, selector: KubernetesNames.managedSelector,
                                          what: "listing services in namespace \(api.namespace)").items
        return Dictionary(services.compactMap { service in
            service["metadata"]?["name"]?.stringValue.map { ($0, service) }
        }, uniquingKeysWith: { first, _ in first })
    }

    /// What a start reports its public address from: the Service it created (or, when it was
    /// there already, the one read), and for a LoadBalancer the Service once its address came —
    /// waited for, bounded by `loadBalancerTimeoutSeconds`.
    func exposedService(_ id: String, created: JSONValue?, api: KubeAPI) async throws(DriverError) -> JSONValue? {
        guard configuration.exposure.readsService else { return nil }
        var service = created
        if service == nil { service = try await publicService(id, api: api) }
        guard let service else { return nil }  // a template without ports has no Service
        guard configuration.exposure.mode == .loadBalancer else { return service }
        return try await waitForLoadBalancer(id, service: service, api: api)
    }

    static func hasLoadBalancerAddress(_ service: JSONValue) -> Bool {
        !(service["status"]?["loadBalancer"]?["ingress"]?.arrayValue ?? []).isEmpty
    }

    /// Lists the Service by name, then watches it from that list's resourceVersion until
    /// `status.loadBalancer.ingress` has an entry.
    private func waitForLoadBalancer(_ id: String, service: JSONValue, api: KubeAPI) async throws(DriverError) -> JSONValue {
        if Self.hasLoadBalancerAddress(service) { return service }
        let timeout = configuration.exposure.loadBalancerTimeout
        let deadline = ContinuousClock.now + timeout
        let field = "metadata.name=\(KubernetesNames.service(id))"
        while ContinuousClock.now < deadline {
            if Task.isCancelled { throw DriverError(.cancelled, "kubernetes: waiting for the load balancer of \(id) was cancelled") }
            let (items, resourceVersion) = try await api.list(api.services, selector: KubernetesNames.sessionSelector(id), fields: field,
                                                              what: "listing service \(id)")
            guard let current = items.first else {
                throw DriverError(.notFound, "kubernetes: service \(id) was deleted while it waited for a load-balancer address")
            }
            if Self.hasLoadBalancerAddress(current) { return current }
            guard let resourceVersion else { continue }
            let seconds = max(1, min(60, Int((deadline - ContinuousClock.now).components.seconds)))
            let stream = try await api.stream(api.services, query: [
                ("labelSelector", KubernetesNames.sessionSelector(id)), ("fieldSelector", field), ("watch", "1"),
                ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(seconds)),
            ], timeout: .seconds(seconds + 5))
            guard stream.status == 200 else {
                if stream.status == 410 { continue }
                throw await api.refusal(of: stream, what: "watching service \(id)")
            }
            var lines = LineSplitter()
            do {
                for try await chunk in stream.body {
                    for line in try lines.feed(chunk.readableBytesView) {
                        guard let event = WatchEvent(line: line) else { continue }
                        if event.kind == .expired || event.kind == .error { break }
                        if event.kind == .deleted {
                            throw DriverError(.notFound, "kubernetes: service \(id) was deleted while it waited for a load-balancer address")
                        }
                        if event.kind != .bookmark, Self.hasLoadBalancerAddress(event.object) { return event.object }
                    }
                }
            } catch let error as DriverError {
                throw error
            } catch {
                // A dropped watch: list again.
            }
        }
        throw DriverError(.timeout, "kubernetes: service \(id) (type LoadBalancer) got no address within \(timeout) (status.loadBalancer.ingress stayed empty): the cluster needs a load-balancer controller (the cloud provider's, MetalLB…), or use \"expose\": \"nodePort\" or \"ingress\"; raise \"loadBalancerTimeoutSeconds\" if it is only slow")
    }
}
