import DriverModel

extension PlatformRefusal {
    /// Kubernetes: a `Status` object (`{"kind":"Status","reason":"Forbidden","message":…,
    /// "code":403}`), the body of every refusal and of a watch's `ERROR` event. The message
    /// says what to fix for 401 and 403, whose server texts name no remedy; other reasons
    /// (NotFound, AlreadyExists, Conflict, Expired, Invalid…) carry the server's message.
    /// Nil for a success.
    public static func kubernetes(httpStatus: Int, body: JSONValue?, fallback: String = "") -> PlatformRefusal? {
        guard !(200..<300).contains(httpStatus) else { return nil }
        let isStatus = body?["kind"]?.stringValue == "Status"
        let code = isStatus ? body?["code"]?.intValue.map(Int.init) : nil
        let status = (code ?? 0) >= 400 ? code! : httpStatus
        let reason = isStatus ? body?["reason"]?.stringValue : nil
        let serverMessage = (isStatus ? body?["message"]?.stringValue : nil) ?? fallback
        let message: String
        switch status {
        case 401:
            message = "the API server refused the agent's credentials: check the token or client certificate of the kubeconfig's user (in a pod: its service account token)"
        case 403:
            message = KubernetesForbidden(serverMessage)?.remedy ?? "the agent's account is not allowed this: \(serverMessage)"
        default:
            message = serverMessage
        }
        return PlatformRefusal(status: status, message: message, reason: reason)
    }
}

/// The parts of the API server's 403 text: `pods is forbidden: User "x" cannot list resource
/// "pods" in API group "" in the namespace "y"` (or `… at the cluster scope`).
struct KubernetesForbidden: Equatable {
    var verb: String
    var resource: String
    var group: String
    /// Nil: cluster scope.
    var namespace: String?

    init?(_ message: String) {
        guard let cannot = message.firstRange(of: " cannot ") else { return nil }
        let rest = message[cannot.upperBound...]
        guard let verbEnd = rest.firstRange(of: " resource \"") else { return nil }
        verb = String(rest[..<verbEnd.lowerBound])
        guard let resource = Self.quoted(after: " resource ", in: rest) else { return nil }
        self.resource = resource
        group = Self.quoted(after: " in API group ", in: rest) ?? ""
        namespace = Self.quoted(after: " in the namespace ", in: rest)
        guard !verb.isEmpty, !verb.contains(" ") else { return nil }
    }

    /// The one line naming the fix.
    var remedy: String {
        let what = group.isEmpty ? resource : "\(resource).\(group)"
        guard let namespace else {
            return "the agent's account may not \(verb) \(what) at the cluster scope: grant it in a ClusterRole bound to the account (deploy/kubernetes/node-reader.yaml)"
        }
        return "the agent's account may not \(verb) \(what) in namespace \(namespace): add it to its Role (deploy/kubernetes/role.yaml)"
    }

    private static func quoted(after marker: String, in text: Substring) -> String? {
        guard let start = text.firstRange(of: marker + "\"") else { return nil }
        let value = text[start.upperBound...]
        guard let end = value.firstIndex(of: "\"") else { return nil }
        return String(value[..<end])
    }
}
