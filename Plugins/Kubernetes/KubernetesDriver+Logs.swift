import DriverModel
import DriverSDK
import PlatformKit

extension KubernetesDriver {
    /// The session pod's `log` subresource: tailLines, sinceTime (RFC 3339) and follow, as the
    /// kubelet serves them; the bytes go to the host as they come.
    func streamLogs(_ request: LogRequest, to writer: LogWriter) async throws {
        let id = request.sessionId
        try KubernetesNames.requireValidSession(id)
        let api = try await locate(id)?.api ?? api()
        var query: [(String, String)] = [("container", SessionManifests.containerName)]
        if request.follow { query.append(("follow", "true")) }
        if let tail = request.tailLines { query.append(("tailLines", String(tail))) }
        if let since = request.sinceTime {
            guard RFC3339.parse(since) != nil else {
                throw DriverError(.invalidArgument, "kubernetes: sinceTime \"\(since)\" is not an RFC 3339 time")
            }
            query.append(("sinceTime", since))
        }
        let pods = try await api.list(api.pods, selector: KubernetesNames.sessionSelector(id), what: "listing the pods of \(id)").items
            .compactMap(PodState.init(pod:))
        guard let pod = pods.first(where: { $0.ready }) ?? pods.first(where: { !$0.deleting }) ?? pods.first else {
            if try await api.get("\(api.deployments)/\(KubernetesNames.deployment(id))", what: "reading the deployment of \(id)") == nil {
                throw notFound(id)
            }
            throw DriverError(.failedPrecondition, "kubernetes: session \(id) has no pod (hibernated?): no logs to read")
        }
        let path = "\(api.pods)/\(pod.name)/log"
        let stream = try await api.stream(path, query: query, timeout: request.follow ? nil : configuration.apiTimeout)
        guard stream.status == 200 else { throw await api.refusal(of: stream, what: "reading the logs of pod \(pod.name)") }
        do {
            for try await chunk in stream.body {
                try await writer.write(Array(chunk.readableBytesView))
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as DriverError {
            throw error
        } catch {
            if Task.isCancelled || writer.isCancelled { throw CancellationError() }
            throw api.client.transportError(error, what: "reading the logs of pod \(pod.name)", timeout: nil)
        }
    }
}
