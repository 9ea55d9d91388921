import DriverModel
import PlatformKit

/// What the API server says when it refuses a call — a `Status` object — turned into one line
/// that names the fix (PlatformRefusal.kubernetes is coming to PlatformKit on issue14-pk; this is
/// the driver's until then), classified by PlatformKit's one HTTP-status mapping.
package enum KubeStatus {
    package static func error(status: Int, body: JSONValue?, fallback: String, what: String) -> DriverError {
        let message = body?["message"]?.stringValue ?? fallback
        let reason = body?["reason"]?.stringValue
        switch status {
        case 401:
            return DriverError(.failedPrecondition,
                               "kubernetes: \(what): the API server refused the agent's credentials (401 Unauthorized): check the token or client certificate in the kubeconfig, or the service account's token")
        case 403:
            if let denied = Forbidden(message) {
                let scope = denied.namespace.map { "in namespace \($0)" } ?? "cluster-wide"
                let role = denied.namespace == nil ? "ClusterRole" : "Role"
                return DriverError(.failedPrecondition,
                                   "kubernetes: \(what): the agent's account (\(denied.user)) may not \(denied.verb) \(denied.resource) \(scope): add the verb \"\(denied.verb)\" on \"\(denied.resource)\"\(denied.group.isEmpty ? "" : " (API group \(denied.group))") to its \(role) (deploy/kubernetes/role.yaml)")
            }
            return DriverError(.failedPrecondition, "kubernetes: \(what): forbidden: \(message)")
        default:
            var text = message.isEmpty ? "HTTP \(status)" : message
            if let reason, !reason.isEmpty, !text.hasPrefix(reason) { text = "\(reason): \(text)" }
            return PlatformErrorClass.error("kubernetes", status: status, message: text, what: what)
        }
    }

    /// `pods is forbidden: User "system:serviceaccount:ns:sa" cannot list resource "pods" in API
    /// group "" in the namespace "ns"` — the apiserver's RBAC denial, read word by word.
    struct Forbidden: Equatable {
        var user: String
        var verb: String
        var resource: String
        var group: String
        var namespace: String?

        init?(_ message: String) {
            func quoted(after marker: String, in text: Substring) -> (String, Substring)? {
                guard let start = text.range(of: marker) else { return nil }
                let rest = text[start.upperBound...]
                guard let close = rest.firstIndex(of: "\"") else { return nil }
                return (String(rest[..<close]), rest[rest.index(after: close)...])
            }
            let text = Substring(message)
            guard let (user, afterUser) = quoted(after: "User \"", in: text),
                  let verbStart = afterUser.range(of: "cannot ") else { return nil }
            let afterCannot = afterUser[verbStart.upperBound...]
            guard let space = afterCannot.firstIndex(of: " ") else { return nil }
            verb = String(afterCannot[..<space])
            guard let (resource, afterResource) = quoted(after: "resource \"", in: afterCannot) else { return nil }
            self.user = user
            self.resource = resource
            group = quoted(after: "API group \"", in: afterResource)?.0 ?? ""
            namespace = quoted(after: "namespace \"", in: afterResource)?.0
        }
    }
}
