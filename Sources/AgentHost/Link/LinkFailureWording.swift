import PlatformKit

/// How the link says that the Control Plane could not be reached: what failed, as what it is
/// (`TransportFailure`, shared with the drivers' platform clients), and what the operator of
/// this agent can do about it.
enum LinkFailureWording {
    /// "connection refused — check the URL and that the Control Plane is running".
    static func explain(_ error: any Error) -> String {
        let failure = TransportFailure(error)
        return "\(failure.phrase) — \(advice(failure.kind))"
    }

    static func advice(_ kind: TransportFailure.Kind) -> String {
        switch kind {
        case .refused: "check the URL's host and port and that the Control Plane is running"
        case .reset: "the Control Plane or a proxy on the way dropped the connection; check their logs"
        case .timedOut: "check the URL and that no firewall drops the traffic on the way"
        case .unreachable: "check this host's network and routes to the Control Plane"
        case .nameNotResolved: "check the host name in --control-plane-url and this host's DNS"
        case .noSuchSocket, .permissionDenied: "check --control-plane-url"
        case .certificateUntrusted: "give the CA that signed the Control Plane's certificate with --ca-file"
        case .certificateWrongHost: "use the host name the Control Plane's certificate names in --control-plane-url"
        case .certificateRefusedByServer: "check --client-cert and --client-key, and the CA the Control Plane trusts"
        case .tlsHandshake: "check that the URL's port serves TLS (wss://) and, with mutual TLS, --client-cert"
        case .closed: "check the Control Plane's log"
        case .other: "check --control-plane-url and the Control Plane's log"
        }
    }
}
