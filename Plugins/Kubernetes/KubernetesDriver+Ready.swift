import DriverModel
import PlatformKit

extension KubernetesDriver {
    /// Waits, bounded by `readyTimeoutSeconds`, until the session's pod is Ready (its status) or
    /// cannot start (an error with Kubernetes' reason). It lists the pods, then watches them from
    /// the list's resourceVersion, so no change between the two is missed. `service` carries
    /// the public address (NodePort, LoadBalancer) for the endpoints.
    func waitReady(_ id: String, api: KubeAPI, service: JSONValue? = nil) async throws(DriverError) -> SessionStatus {
        let deadline = ContinuousClock.now + configuration.readyTimeout
        var last: SessionStatus?
        while ContinuousClock.now < deadline {
            if Task.isCancelled { throw DriverError(.cancelled, "kubernetes: waiting for session \(id) was cancelled") }
            guard let deployment = try await api.get("\(api.deployments)/\(KubernetesNames.deployment(id))",
                                                     what: "reading the deployment of \(id)") else {
                throw DriverError(.notFound, "kubernetes: deployment of session \(id) was deleted while it started")
            }
            let (items, resourceVersion) = try await api.list(api.pods, selector: KubernetesNames.sessionSelector(id),
                                                              what: "listing the pods of \(id)")
            var pods = Dictionary(items.compactMap(PodState.init(pod:)).map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            func decide() throws(DriverError) -> SessionStatus? {
                let status = view(id, deployment: deployment, pods: Array(pods.values), api: api, service: service)
                last = status
                switch status.state {
                case .running: return status
                case .failed: throw Self.startFailure(id, status)
                default: return nil
                }
            }
            if let status = try decide() { return status }
            guard let resourceVersion else { continue }
            let remaining = deadline - ContinuousClock.now
            let seconds = max(1, min(60, Int(remaining.components.seconds)))
            let stream = try await api.stream(api.pods, query: [
                ("labelSelector", KubernetesNames.sessionSelector(id)), ("watch", "1"),
                ("resourceVersion", resourceVersion), ("allowWatchBookmarks", "true"), ("timeoutSeconds", String(seconds)),
            ], timeout: .seconds(seconds + 5))
            guard stream.status == 200 else { continue }
            var lines = LineSplitter()
            do {
                for try await chunk in stream.body {
                    for line in try lines.feed(chunk.readableBytesView) {
                        guard let event = WatchEvent(line: line) else { continue }
                        switch event.kind {
                        case .added, .modified:
                            if let pod = event.pod { pods[pod.name] = pod }
                        case .deleted:
                            if let pod = event.pod { pods.removeValue(forKey: pod.name) }
                        case .bookmark: continue
                        case .expired, .error: break
                        }
                        if event.kind == .expired || event.kind == .error { break }
                        if let status = try decide() { return status }
                    }
                }
            } catch let error as DriverError {
                throw error
            } catch {
                // A dropped watch: list again.
            }
        }
        let state = last.map { "it is \($0.state.rawValue)" + ($0.platformMetadata["podName"]?.stringValue.map { " (pod \($0))" } ?? "") } ?? "no pod appeared"
        throw DriverError(.timeout, "kubernetes: session \(id) was not Ready within \(configuration.readyTimeout): \(state)")
    }

    /// A pod that cannot start: Unschedulable may pass when the cluster frees room (retryable);
    /// an image or a crash will not until someone changes the template.
    static func startFailure(_ id: String, _ status: SessionStatus) -> DriverError {
        let message = status.message ?? "the pod failed"
        let code: DriverStatusCode = message.contains(": Unschedulable") ? .resourceExhausted : .failedPrecondition
        return DriverError(code, "kubernetes: session \(id) could not start: \(message)")
    }
}
