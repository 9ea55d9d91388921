import DriverModel

/// The names and labels the driver gives Kubernetes objects, and the checks that keep a
/// session id, a user or a port name from making an object Kubernetes would refuse (or that
/// would escape its selector).
package enum KubernetesNames {
    package static let managedLabel = "streamspace.io/managed"
    package static let sessionLabel = "streamspace.io/session"
    package static let userLabel = "streamspace.io/user"
    package static let templateLabel = "streamspace.io/template"
    /// On the home PVC: which user it belongs to (one PVC per user, shared by their sessions).
    package static let homeLabel = "streamspace.io/home"
    /// The label the host gives a SessionSpec for the start payload's `namespace`.
    package static let payloadNamespaceLabel = "streamspace.io/namespace"
    /// The template's ports, in PortList's form, so any later agent can name the endpoints.
    package static let portsAnnotation = "streamspace.io/ports"

    /// The selector of every object this driver manages.
    package static let managedSelector = "\(managedLabel)=true"

    package static func sessionSelector(_ id: String) -> String {
        "\(managedLabel)=true,\(sessionLabel)=\(id)"
    }

    /// The Deployment (and through it the pod name prefix) of a session.
    package static func deployment(_ id: String) -> String { "ss-\(id)" }
    /// The Service is named exactly the session id: the Control Plane's HTTP viewer proxy reaches
    /// `http://<sessionId>.<namespace>.svc.cluster.local:<port>/`.
    package static func service(_ id: String) -> String { id }
    /// With `expose: ingress`: the session's Ingress, named like its Service.
    package static func ingress(_ id: String) -> String { id }
    package static func homeClaim(_ user: String) -> String { "home-\(user)" }
    /// On the home PVC, one label per session that mounts it: what ties a session to its user's
    /// home once its Deployment is gone (stop with deleteVolumes finds the PVC by it). A label
    /// of its own per session, added and removed by merge patch, so concurrent starts and stops
    /// of one user's sessions never overwrite each other's.
    package static func homeSessionLabel(_ id: String) -> String { "session.streamspace.io/\(id)" }

    /// A DNS-1035 label (Service names): lowercase letters, digits and '-', starting with a
    /// letter, ending with a letter or digit, at most 63 characters.
    package static func isDNSLabel(_ text: String, maxLength: Int = 63) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last, text.utf8.count <= maxLength else { return false }
        func lowerAlnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return (0x61...0x7A).contains(first) && lowerAlnum(last) && text.utf8.allSatisfy { lowerAlnum($0) || $0 == 0x2D }
    }

    /// A DNS-1123 subdomain (Ingress hosts, Secret and IngressClass names): dot-separated
    /// labels of lowercase letters, digits and '-' (each starting and ending alphanumeric, at
    /// most 63), at most 253 in all.
    package static func isDNSSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        func lowerAlnum(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.utf8.first, let last = label.utf8.last, label.utf8.count <= 63 else { return false }
            return lowerAlnum(first) && lowerAlnum(last) && label.utf8.allSatisfy { lowerAlnum($0) || $0 == 0x2D }
        }
    }

    /// A label or annotation key: an optional DNS-subdomain prefix and '/', then a name of at
    /// most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric.
    package static func isQualifiedName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2, !isDNSSubdomain(String(parts[0])) { return false }
        guard let name = parts.last, !name.isEmpty else { return false }
        return isLabelValue(String(name))
    }

    /// A label value: at most 63 of letters, digits, '-', '_', '.', starting and ending alphanumeric.
    package static func isLabelValue(_ text: String) -> Bool {
        guard !text.isEmpty else { return true }
        guard text.utf8.count <= 63, let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        func alnum(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) }
        return alnum(first) && alnum(last) && text.unicodeScalars.allSatisfy { alnum($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// A session id must be a Service name (the viewer proxy's host name) and, with "ss-" in
    /// front, a Deployment name whose pods' generated names still fit.
    package static func requireValidSession(_ id: String) throws(DriverError) {
        guard SessionID.isValid(id), isDNSLabel(id, maxLength: 47) else {
            throw DriverError(.invalidArgument,
                              "kubernetes: session id \"\(id)\" is not a Kubernetes name (lowercase letters, digits and '-', starting with a letter, at most 47 characters)")
        }
    }

    /// A user names a label value and the home PVC.
    package static func requireValidUser(_ user: String) throws(DriverError) {
        guard !user.isEmpty, isLabelValue(user), isDNSLabel(homeClaim(user), maxLength: 253) else {
            throw DriverError(.invalidArgument,
                              "kubernetes: user \"\(user)\" cannot name a label and a PVC (lowercase letters, digits and '-', at most 63 characters)")
        }
    }
}
