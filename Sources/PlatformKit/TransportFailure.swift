import AsyncHTTPClient
import Glibc
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong on the way to a server, named as what it is: refused, reset, timed out, a
/// name that does not resolve, a certificate not trusted… The errors of NIO, AsyncHTTPClient,
/// NIOSSL and the socket calls describe themselves in their own terms (`connection reset
/// (error set): Connection refused (errno: 111)` for a refused connect); every log line and
/// error message about a connection says it with `phrase` instead. The agent's link and the
/// drivers' platform clients share it, each adding what its reader should do.
public struct TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case refused, reset, timedOut, unreachable, nameNotResolved, noSuchSocket, permissionDenied
        case certificateUntrusted, certificateWrongHost, certificateRefusedByServer, tlsHandshake
        case closed, other
    }

    public var kind: Kind
    /// The particulars: the name that did not resolve, the TLS library's reason, what timed out.
    public var detail: String?

    public init(_ kind: Kind, detail: String? = nil) {
        self.kind = kind
        self.detail = detail
    }

    /// What `error` says, classified; whatever is not known is `.other` with its own words.
    public init(_ error: any Error) {
        switch error {
        case let failure as TransportFailure:
            self = failure
        case let error as NIOConnectionError:
            if let dns = error.dnsAError ?? error.dnsAAAAError {
                self = Self.unresolved(error.host, dns)
            } else if let attempt = error.connectionErrors.first {
                // Several addresses of one name fail alike in practice: the first says it.
                self.init(attempt.error)
            } else {
                self.init(.other, detail: "no address to connect to for \(error.host)")
            }
        case let error as SocketAddressError.UnknownHost:
            self = Self.unresolved(error.host, error)
        case let error as IOError:
            self = Self.classify(errno: error.errnoCode) ?? Self(.other, detail: error.description)
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let limit): self.init(.timedOut, detail: "connecting, after \(Self.format(limit))")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: self.init(.closed)
            default: self.init(.other, detail: "\(error)")
            }
        case let error as HTTPClientError:
            self = Self.classify(error)
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            // "Couldn't find <name> in certificate from peer": the name is the useful part.
            self.init(.certificateWrongHost, detail: Self.quotedName(in: String(describing: error)))
        case let error as NIOSSLError:
            self = Self.classify(error)
        case let error as BoringSSLError:
            // After a TLS 1.3 handshake the server's verdict on our certificate comes as an
            // alert on the first read, outside `handshakeFailed`.
            self = Self.classify(libraryReasons: Self.libraryReasons(error))
        default:
            self.init(.other, detail: Self.bounded(String(describing: error)))
        }
    }

    /// The failure as a phrase for the middle of a sentence: "connection refused".
    public var phrase: String {
        switch kind {
        case .refused: "connection refused"
        case .reset: "connection reset"
        case .timedOut: "timed out" + (detail.map { " \($0)" } ?? "")
        case .unreachable: "no route to the host" + (detail.map { " (\($0))" } ?? "")
        case .nameNotResolved: "the host name \(detail ?? "") does not resolve (DNS)"
        case .noSuchSocket: "no socket at that path"
        case .permissionDenied: "permission denied on the socket"
        case .certificateUntrusted: "TLS: the server's certificate is not signed by a trusted CA"
        case .certificateWrongHost: "TLS: the server's certificate is not for the host name \(detail ?? "in the URL")"
        case .certificateRefusedByServer: "TLS: the server refused this client's certificate" + (detail.map { " (\($0))" } ?? "")
        case .tlsHandshake: "TLS handshake failed" + (detail.map { " (\($0))" } ?? "")
        case .closed: "the connection was closed before an answer"
        case .other: detail ?? "connection failed"
        }
    }

    public var description: String { phrase }

    // MARK: Classification

    private static func classify(errno code: Int32) -> TransportFailure? {
        switch code {
        case ECONNREFUSED: TransportFailure(.refused)
        case ECONNRESET, EPIPE, ECONNABORTED: TransportFailure(.reset)
        case ETIMEDOUT: TransportFailure(.timedOut)
        case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN: TransportFailure(.unreachable, detail: String(cString: strerror(code)))
        // A unix socket that is not there, or not ours to use.
        case ENOENT: TransportFailure(.noSuchSocket)
        case EACCES, EPERM: TransportFailure(.permissionDenied)
        default: nil
        }
    }

    private static func classify(_ error: HTTPClientError) -> TransportFailure {
        switch error {
        case .connectTimeout: TransportFailure(.timedOut, detail: "connecting")
        case .readTimeout, .deadlineExceeded: TransportFailure(.timedOut, detail: "waiting for an answer")
        case .writeTimeout: TransportFailure(.timedOut, detail: "sending the request")
        case .remoteConnectionClosed: TransportFailure(.closed)
        case .tlsHandshakeTimeout: TransportFailure(.timedOut, detail: "in the TLS handshake")
        default: TransportFailure(.other, detail: bounded(String(describing: error)))
        }
    }

    private static func classify(_ error: NIOSSLError) -> TransportFailure {
        switch error {
        case .handshakeFailed(let reason): return classify(libraryReasons: libraryReasons(reason))
        case .uncleanShutdown: return TransportFailure(.closed)
        default: return TransportFailure(.tlsHandshake, detail: "\(error)")
        }
    }

    /// The server's alerts after it checked this client's certificate.
    private static let refusalAlerts: Set<String> = [
        "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE", "TLSV1_ALERT_CERTIFICATE_REQUIRED",
        "TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "TLSV1_ALERT_ACCESS_DENIED",
    ]

    private static func classify(libraryReasons reasons: [String]) -> TransportFailure {
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") { return TransportFailure(.certificateUntrusted) }
        if let alert = reasons.first(where: refusalAlerts.contains) {
            let why = switch alert {
            case "TLSV1_ALERT_UNKNOWN_CA": "it does not trust the CA that signed it"
            case "TLSV1_ALERT_CERTIFICATE_REQUIRED", "TLSV13_ALERT_CERTIFICATE_REQUIRED": "it requires one and none was sent"
            default: readable(alert)
            }
            return TransportFailure(.certificateRefusedByServer, detail: why)
        }
        return TransportFailure(.tlsHandshake, detail: reasons.first.map(readable))
    }

    private static func unresolved(_ host: String, _ error: any Error) -> TransportFailure {
        TransportFailure(.nameNotResolved, detail: host)
    }

    /// BoringSSL's reason names in an error stack ("CERTIFICATE_VERIFY_FAILED"): each entry
    /// reads "error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at file:line".
    private static func libraryReasons(_ error: BoringSSLError) -> [String] {
        let stack: [BoringSSLInternalError]
        switch error {
        case .sslError(let errors), .unknownError(let errors), .invalidSNIName(let errors), .failedToSetALPN(let errors): stack = errors
        default: return ["\(error)"]
        }
        return stack.compactMap { entry in
            let text = entry.description
            let beforeLocation = text.split(separator: " at ", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(text)
            return beforeLocation.split(separator: ":").last.map(String.init)
        }
    }

    /// "WRONG_VERSION_NUMBER" → "wrong version number".
    private static func readable(_ reason: String) -> String {
        let words = reason.split(separator: " ").joined(separator: " ")
        if words == "EOF during handshake" { return "the server closed the connection during it" }
        return String(words.lowercased().map { $0 == "_" ? " " : $0 })
    }

    private static func quotedName(in text: String) -> String? {
        // NIOSSL: "Couldn't find localhost in certificate from peer".
        guard let start = text.firstRange(of: "find "), let end = text.firstRange(of: " in certificate") else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    private static func format(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    static func bounded(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
