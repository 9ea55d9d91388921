import PlatformKit

/// Where the driver reaches the API server and how it proves who it is, from a kubeconfig or
/// from the pod's service account. Holds secrets (token, key): never log it whole — `summary`
/// is the loggable form.
package struct KubeConnection: Sendable, Equatable {
    /// PEM material: a file read when the connection is made, or inline bytes (kubeconfig's
    /// `*-data`, already base64-decoded).
    package typealias PEM = TLSMaterial.Source

    package enum Credential: Sendable, Equatable {
        case none
        case token(String)
        /// Re-read when the file changes: Kubernetes rotates projected service-account tokens.
        case tokenFile(String)
    }

    package var host: String
    package var port: Int
    package var useTLS: Bool
    /// Any path the server URL carries (a proxy in front of the API server), without a final '/'.
    package var pathPrefix: String
    package var certificateAuthority: PEM?
    package var clientCertificate: PEM?
    package var clientKey: PEM?
    /// Only when the kubeconfig says `insecure-skip-tls-verify: true`.
    package var skipVerify: Bool
    package var credential: Credential
    /// The context's or the pod's namespace, if it names one.
    package var namespace: String?
    /// "kubeconfig /path, context X" or "in-cluster service account": for messages.
    package var origin: String

    package var summary: String {
        let scheme = useTLS ? "https" : "http"
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(port)\(pathPrefix) (\(origin))"
    }

    /// TLS as PlatformKit's client takes it; nil for plain HTTP.
    package var tls: TLSMaterial? {
        guard useTLS else { return nil }
        return TLSMaterial(ca: certificateAuthority, certificate: clientCertificate, key: clientKey, skipVerify: skipVerify)
    }

    /// The credential on every request; a token file is read again when kubelet rotates it.
    package var credentials: PlatformCredentials {
        switch credential {
        case .none: .none
        case .token(let token): .bearer(token)
        case .tokenFile(let path): .bearerFile(path: path)
        }
    }
}
