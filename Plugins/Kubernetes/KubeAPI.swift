import DriverModel
import NIOHTTP1
import PlatformKit

/// The API calls the driver makes, in one namespace: paths of the core, apps and networking groups, JSON in
/// and out, and every refusal turned into the driver's error with the server's own words
/// (KubeStatus).
final class KubeAPI: Sendable {
    let client: PlatformHTTPClient
    let connection: KubeConnection
    let namespace: String
    let timeout: Duration

    /// Every request asks for JSON (a server may otherwise answer protobuf or a Table).
    private static let accept = [("Accept", "application/json")]

    init(_ connection: KubeConnection, namespace: String, timeout: Duration) throws(DriverError) {
        client = try PlatformHTTPClient(
            address: .http(host: connection.host, port: connection.port, tls: connection.tls),
            platformName: "the Kubernetes API server (\(connection.origin))", credentials: connection.credentials)
        self.connection = connection
        self.namespace = namespace
        self.timeout = timeout
    }

    private init(sharing other: KubeAPI, namespace: String) {
        client = other.client
        connection = other.connection
        self.namespace = namespace
        timeout = other.timeout
    }

    /// The same client, its paths in another namespace. Only the original is shut down.
    func scoped(to namespace: String) -> KubeAPI {
        namespace == self.namespace ? self : KubeAPI(sharing: self, namespace: namespace)
    }

    func shutdown() async { await client.shutdown() }

    // MARK: Paths

    var deployments: String { "/apis/apps/v1/namespaces/\(namespace)/deployments" }
    var services: String { "/api/v1/namespaces/\(namespace)/services" }
    var pods: String { "/api/v1/namespaces/\(namespace)/pods" }
    var claims: String { "/api/v1/namespaces/\(namespace)/persistentvolumeclaims" }
    var ingresses: String { "/apis/networking.k8s.io/v1/namespaces/\(namespace)/ingresses" }

    // MARK: Calls

    /// `allowed` statuses come back to the caller; any other failure is an error naming `what`.
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: PlatformRequestBody? = nil,
              allowed: Set<Int> = [], timeout: Duration? = nil,
              what: @autoclosure () -> String) async throws(DriverError) -> PlatformResponse {
        let response = try await client.request(method, connection.pathPrefix + path, query: query,
                                                body: body,
                                                headers: Self.accept, timeout: timeout ?? self.timeout)
        if response.isSuccess || allowed.contains(response.status) { return response }
        throw KubeStatus.error(status: response.status, body: try? response.json(), fallback: response.bodyText, what: what(),
                               response: response)
    }

    /// A streaming GET (a watch, followed logs); nil timeout: as long as the caller reads.
    func stream(_ path: String, query: [(String, String)], timeout: Duration?) async throws(DriverError) -> PlatformStream {
        try await client.stream(.GET, connection.pathPrefix + path, query: query, headers: Self.accept, timeout: timeout)
    }

    /// A streaming request's refusal: its Status body (the first 4 KiB) as the driver's error.
    func refusal(of stream: PlatformStream, what: String) async -> DriverError {
        var body: [UInt8] = []
        do {
            for try await chunk in stream.body { body += chunk.readableBytesView; if body.count > 4096 { break } }
        } catch {}
        return KubeStatus.error(status: stream.status, body: try? StrictJSON.parse(body),
                                fallback: String(decoding: body.prefix(2048), as: UTF8.self), what: what)
    }

    /// The object, or nil when there is none (404).
    func get(_ path: String, what: @autoclosure () -> String) async throws(DriverError) -> JSONValue? {
        let response = try await call(.GET, path, allowed: [404], what: what())
        return response.status == 404 ? nil : try response.json()
    }

    /// A list's items and its resourceVersion (where a watch starts).
    func list(_ path: String, selector: String, fields: String? = nil,
              what: @autoclosure () -> String) async throws(DriverError) -> (items: [JSONValue], resourceVersion: String?) {
        let query = [("labelSelector", selector)] + (fields.map { [("fieldSelector", $0)] } ?? [])
        let list = try await call(.GET, path, query: query, what: what()).json()
        guard let items = list["items"]?.arrayValue ?? (list["items"] == .null ? [] : nil) else {
            throw DriverError(.internal, "kubernetes: \(what()): the answer has no items list")
        }
        return (items, list["metadata"]?["resourceVersion"]?.stringValue)
    }

    /// Creates an object; nil when one of that name exists already (409 AlreadyExists).
    func create(_ path: String, _ object: JSONValue, what: @autoclosure () -> String) async throws(DriverError) -> JSONValue? {
        let response = try await call(.POST, path, body: .json(object), allowed: [409], what: what())
        return response.status == 409 ? nil : try response.json()
    }

    /// Deletes an object; one that is gone already is fine (R6). Background propagation: the
    /// garbage collector removes what the object owns (the ReplicaSet, its pods, the Service).
    func delete(_ path: String, what: @autoclosure () -> String) async throws(DriverError) {
        let options: JSONValue = .object(["kind": .string("DeleteOptions"), "apiVersion": .string("v1"),
                                          "propagationPolicy": .string("Background")])
        _ = try await call(.DELETE, path, body: .json(options), allowed: [404], what: what())
    }

    /// Sets or removes (null) labels of an object by JSON merge patch, which touches only the
    /// keys named. Returns the status: 404 (no such object) and 403 (`forbidden`: the Role
    /// grants no patch) come back to the caller.
    func patchLabels(_ path: String, _ labels: [String: JSONValue], what: @autoclosure () -> String) async throws(DriverError) -> Int {
        let patch: JSONValue = .object(["metadata": .object(["labels": .object(labels)])])
        return try await call(.PATCH, path, body: .mergePatch(patch), allowed: [403, 404], what: what()).status
    }

    /// Sets a Deployment's replicas through its `scale` subresource (JSON merge patch).
    func scale(deployment name: String, to replicas: Int) async throws(DriverError) {
        let patch: JSONValue = .object(["spec": .object(["replicas": .int(Int64(replicas))])])
        _ = try await call(.PATCH, "\(deployments)/\(name)/scale", body: .mergePatch(patch),
                           what: "scaling deployment \(name) to \(replicas)")
    }
}
