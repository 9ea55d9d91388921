import DriverModel
import Foundation
import NIOHTTP1
import PlatformKit
import Yams

/// The benchmark's own REST client to the API server, with the agent's kubeconfig (same user,
/// same permissions): the baseline the driver is compared with, and the "by hand" deletes.
struct BenchCluster {
    let rest: PlatformHTTPClient
    let server: String
    let namespace = "streamspace"

    /// The Deployment and Service a session's start made, fields the server sets removed.
    struct Templates {
        var deployment: JSONValue
        var service: JSONValue
    }

    /// `token` replaces the kubeconfig user's (the sandbox admin's, next to its admin kubeconfig).
    init(kubeconfig path: String, token override: String? = nil) throws {
        // The sandbox's kubeconfig: one cluster (server, certificate-authority file), one user
        // with a token. The driver reads every other form; the benchmark needs only this one.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let config = try Yams.load(yaml: text) as? [String: Any],
              let cluster = ((config["clusters"] as? [[String: Any]])?.first?["cluster"]) as? [String: Any],
              let server = cluster["server"] as? String, let url = URL(string: server),
              let host = url.host, let port = url.port,
              let user = ((config["users"] as? [[String: Any]])?.first?["user"]) as? [String: Any],
              let token = user["token"] as? String else {
            throw BenchFailure("\(path) is not the sandbox's token kubeconfig (cluster server, user token)")
        }
        self.server = server
        rest = try PlatformHTTPClient(
            address: .http(host: host, port: port, tls: TLSMaterial(caFile: cluster["certificate-authority"] as? String)),
            platformName: "Kubernetes", credentials: .bearer(override ?? token))
    }

    func shutdown() async { await rest.shutdown() }

    func objects(ofSession id: String) async throws -> Templates {
        let selector = "streamspace.io/session=\(id)"
        let deployments = try await call(.GET, "/apis/apps/v1/namespaces/\(namespace)/deployments", query: [("labelSelector", selector)])
        let services = try await call(.GET, "/api/v1/namespaces/\(namespace)/services", query: [("labelSelector", selector)])
        guard let deployment = deployments["items"]?.arrayValue?.first, let service = services["items"]?.arrayValue?.first else {
            throw BenchFailure("session \(id) has no Deployment or no Service labelled \(selector)")
        }
        return Templates(deployment: Self.asTemplate(deployment), service: Self.asTemplate(service))
    }

    /// Creates the templates' Deployment and Service under a new session name, the Service owned
    /// by the Deployment as the driver makes it, and waits for the pod to be Ready by a watch.
    func createAndWaitReady(_ templates: Templates, as name: String) async throws {
        let deployment = try await call(.POST, "/apis/apps/v1/namespaces/\(namespace)/deployments",
                                        body: Self.renamed(templates.deployment, to: "ss-\(name)", session: name))
        guard let uid = deployment["metadata"]?["uid"]?.stringValue else { throw BenchFailure("the Deployment came back without a uid") }
        var service = Self.renamed(templates.service, to: name, session: name)
        service = service.setting(["metadata", "ownerReferences"], .array([.object([
            "apiVersion": .string("apps/v1"), "kind": .string("Deployment"), "name": .string("ss-\(name)"),
            "uid": .string(uid), "controller": .bool(true), "blockOwnerDeletion": .bool(true),
        ])]))
        _ = try await call(.POST, "/api/v1/namespaces/\(namespace)/services", body: service)

        let stream = try await rest.stream(.GET, "/api/v1/namespaces/\(namespace)/pods", query: [
            ("labelSelector", "streamspace.io/session=\(name)"), ("watch", "1"), ("timeoutSeconds", "120"),
        ], timeout: .seconds(130))
        guard stream.status == 200 else { throw BenchFailure("watching the pods of \(name): HTTP \(stream.status)") }
        var lines = LineSplitter(maxLineBytes: 1 << 20)
        for try await chunk in stream.body {
            for line in try lines.feed(chunk.readableBytesView) {
                let event = try StrictJSON.parse(Array(line))
                let conditions = event["object"]?["status"]?["conditions"]?.arrayValue ?? []
                if conditions.contains(where: { $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True" }) {
                    return
                }
            }
        }
        throw BenchFailure("the pod of \(name) was not Ready within the watch")
    }

    func deleteDeployment(_ name: String) async throws {
        try await delete("/apis/apps/v1/namespaces/\(namespace)/deployments/\(name)")
    }

    func delete(_ path: String) async throws {
        _ = try await call(.DELETE, path, body: .object([
            "kind": .string("DeleteOptions"), "apiVersion": .string("v1"), "propagationPolicy": .string("Background")]))
    }

    private func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws -> JSONValue {
        let response = try await rest.request(method, path, query: query, json: body, timeout: .seconds(60))
        guard response.isSuccess else { throw BenchFailure("\(method) \(path): HTTP \(response.status): \(response.bodyText)") }
        return try response.json()
    }

    /// An object as it was sent: what the server adds (uid, resourceVersion, status, the
    /// Service's cluster IPs, owner references) taken out.
    static func asTemplate(_ object: JSONValue) -> JSONValue {
        guard case .object(var fields) = object, case .object(let metadata)? = fields["metadata"] else { return object }
        fields["status"] = nil
        fields["metadata"] = .object(metadata.filter { ["labels", "annotations"].contains($0.key) })
        if case .object(var spec)? = fields["spec"], fields["kind"]?.stringValue == "Service" {
            for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy", "sessionAffinity"] { spec[key] = nil }
            fields["spec"] = .object(spec)
        }
        return .object(fields)
    }

    /// The template under a new name, its session label (and every selector of it) changed too.
    static func renamed(_ template: JSONValue, to name: String, session: String) -> JSONValue {
        var object = template.setting(["metadata", "name"], .string(name))
        for path in [["metadata", "labels"], ["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"], ["spec", "selector"]] {
            if template.value(at: path)?["streamspace.io/session"] != nil {
                object = object.setting(path + ["streamspace.io/session"], .string(session))
            }
        }
        return object
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    func value(at path: [String]) -> JSONValue? {
        path.reduce(Optional(self)) { $0?[$1] }
    }

    /// This object with the value at `path` replaced (objects on the way made as needed).
    func setting(_ path: [String], _ value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var fields = objectValue ?? [:]
        fields[key] = (fields[key] ?? .object([:])).setting(Array(path.dropFirst()), value)
        return .object(fields)
    }
}
