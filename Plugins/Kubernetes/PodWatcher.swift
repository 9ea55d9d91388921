import DriverModel
import DriverSDK
import PlatformKit

extension KubernetesDriver {
    /// Watches the managed pods for as long as the driver lives, so a crash, an eviction or a
    /// `kubectl delete` reaches the Control Plane within seconds (host.sessionChanged), not at the
    /// next refresh. It resumes from the last resourceVersion (bookmarks keep it fresh) and lists
    /// again when the server says that version is gone (410 Expired). One watch per namespace.
    func startWatching(_ api: KubeAPI) {
        let task = Task { [weak self] in
            var resourceVersion: String?
            var delay: Duration = .milliseconds(500)
            while !Task.isCancelled {
                guard let self else { return }
                do {
                    if resourceVersion == nil {
                        resourceVersion = try await api.list(api.pods, selector: KubernetesNames.managedSelector,
                                                             what: "listing the session pods in namespace \(api.namespace)").resourceVersion
                    }
                    resourceVersion = try await self.watchOnce(api, from: resourceVersion ?? "")
                    delay = .milliseconds(500)
                } catch {
                    if Task.isCancelled { return }
                    self.host.log(.debug, "kubernetes: the pod watch ended (\((error as? DriverError)?.message ?? "\(error)")); again in \(delay)")
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                }
            }
        }
        watchers.withLock { $0.append(task) }
    }

    /// One watch request, read to its end. Returns where the next starts (nil: list again).
    private func watchOnce(_ api: KubeAPI, from resourceVersion: String) async throws -> String? {
        let stream = try await api.stream(api.pods, query: [
            ("labelSelector", KubernetesNames.managedSelector), ("watch", "1"), ("resourceVersion", resourceVersion),
            ("allowWatchBookmarks", "true"), ("timeoutSeconds", "300"),
        ], timeout: .seconds(330))
        guard stream.status == 200 else {
            if stream.status == 410 { return nil }
            throw await api.refusal(of: stream, what: "watching the session pods")
        }
        var next: String? = resourceVersion
        var lines = LineSplitter()
        for try await chunk in stream.body {
            for line in try lines.feed(chunk.readableBytesView) {
                guard let event = WatchEvent(line: line) else { continue }
                switch event.kind {
                case .expired:
                    return nil
                case .error:
                    throw DriverError(.unavailable, "kubernetes: the pod watch reported \(event.object["message"]?.stringValue ?? "an error")")
                case .bookmark:
                    next = event.resourceVersion ?? next
                case .added, .modified, .deleted:
                    next = event.resourceVersion ?? next
                    if let id = event.pod?.sessionID, SessionID.isValid(id) { await report(id) }
                }
            }
        }
        return next
    }

    /// Tells the host the session's state as the cluster has it now, when it changed.
    private func report(_ id: String) async {
        let status: SessionStatus
        do {
            status = try await session(id)
        } catch let error as DriverError where error.code == .notFound {
            status = SessionStatus(sessionId: id, state: .terminated)
        } catch {
            return
        }
        guard !Task.isCancelled else { return }
        let changed = reported.withLock { last in
            defer { last[id] = status.state == .terminated ? nil : status }
            if status.state == .terminated { return last[id] != nil }
            return last[id] != status
        }
        if changed { host.sessionChanged(status) }
    }
}
