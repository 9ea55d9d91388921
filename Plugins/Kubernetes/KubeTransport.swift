import AsyncHTTPClient
import DriverModel
import NIOCore
import NIOHTTP1
import NIOSSL
import PlatformKit
import Synchronization

/// HTTP to the API server with what PlatformHTTPClient does not offer yet (issue 14 §5, being
/// added to PlatformKit on branch issue14-pk): a bearer token on every request, re-read from its
/// file when the file changes; TLS material from memory (kubeconfig's `*-data`); request bodies
/// of any content type (merge-patch). Replace with PlatformKit's once it has them.
final class KubeTransport: Sendable {
    let connection: KubeConnection
    private let client: HTTPClient
    private let baseURL: String
    private let token: TokenSource

    init(_ connection: KubeConnection, maxConnections: Int = 32) throws(DriverError) {
        self.connection = connection
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5))
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        if connection.useTLS { configuration.tlsConfiguration = try Self.tls(connection) }
        let bracketed = connection.host.contains(":") ? "[\(connection.host)]" : connection.host
        baseURL = "\(connection.useTLS ? "https" : "http")://\(bracketed):\(connection.port)\(connection.pathPrefix)"
        token = TokenSource(connection.credential)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func tls(_ connection: KubeConnection) throws(DriverError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        func bytes(_ pem: KubeConnection.PEM, _ what: String) throws(DriverError) -> [UInt8] {
            switch pem {
            case .inline(let bytes): return bytes
            case .file(let path):
                do { return try LocalFile.read(path) } catch {
                    throw DriverError(.invalidArgument, "kubernetes: \(what) of \(connection.origin): \(error)")
                }
            }
        }
        func parse<T>(_ what: String, _ body: () throws -> T) throws(DriverError) -> T {
            do { return try body() } catch {
                throw DriverError(.invalidArgument, "kubernetes: the \(what) of \(connection.origin) is not valid PEM (\(error))")
            }
        }
        if let ca = connection.certificateAuthority {
            let pem = try bytes(ca, "certificate authority")
            tls.trustRoots = .certificates(try parse("certificate authority") { try NIOSSLCertificate.fromPEMBytes(pem) })
        }
        if let certificate = connection.clientCertificate, let key = connection.clientKey {
            let certificatePEM = try bytes(certificate, "client certificate")
            let keyPEM = try bytes(key, "client key")
            tls.certificateChain = try parse("client certificate") { try NIOSSLCertificate.fromPEMBytes(certificatePEM) }.map { .certificate($0) }
            tls.privateKey = .privateKey(try parse("client key") { try NIOSSLPrivateKey(bytes: keyPEM, format: .pem) })
        }
        if connection.skipVerify { tls.certificateVerification = .none }
        return tls
    }

    /// Sends a request and reads the whole answer.
    func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                 body: [UInt8]? = nil, contentType: String = "application/json",
                 timeout: Duration, maxBody: Int = 32 << 20) async throws(DriverError) -> PlatformResponse {
        let request = try makeRequest(method, path, query: query, body: body, contentType: contentType)
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds * 1_000_000_000)))
            let bytes = try await response.body.collect(upTo: maxBody)
            return PlatformResponse(status: Int(response.status.code), headers: response.headers, body: Array(buffer: bytes))
        } catch {
            throw transportError(error, what: "\(method) \(path)", timeout: timeout)
        }
    }

    /// A streaming answer (watch, follow logs); nil timeout: as long as the caller reads.
    func stream(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                timeout: Duration?) async throws(DriverError) -> KubeStream {
        let request = try makeRequest(method, path, query: query, body: nil, contentType: "application/json")
        do {
            let response: HTTPClientResponse
            if let timeout {
                response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds * 1_000_000_000)))
            } else {
                response = try await client.execute(request, deadline: .distantFuture)
            }
            return KubeStream(status: Int(response.status.code), body: response.body)
        } catch {
            throw transportError(error, what: "\(method) \(path)", timeout: timeout)
        }
    }

    func transportError(_ error: any Error, what: String, timeout: Duration?) -> DriverError {
        if let error = error as? DriverError { return error }
        let server = "the Kubernetes API server at \(connection.summary)"
        if error is CancellationError { return DriverError(.cancelled, "kubernetes: \(what) was cancelled") }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return DriverError(.timeout, "kubernetes: \(server) did not answer \(what)\(timeout.map { " within \($0)" } ?? "")")
            case .cancelled: return DriverError(.cancelled, "kubernetes: \(what) was cancelled")
            case .connectTimeout: return DriverError(.unavailable, "kubernetes: cannot reach \(server): connection timed out")
            case .remoteConnectionClosed: return DriverError(.unavailable, "kubernetes: \(server) closed the connection during \(what)")
            default: break
            }
        }
        if error is NIOTooManyBytesError { return DriverError(.internal, "kubernetes: \(server) answered \(what) with more data than expected") }
        let failure = TransportFailure(error)
        guard failure.kind == .other else { return DriverError(.unavailable, "kubernetes: cannot reach \(server): \(failure.phrase)") }
        return DriverError(.unavailable, "kubernetes: \(server): \(what) failed: \(failure.phrase)")
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)],
                             body: [UInt8]?, contentType: String) throws(DriverError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path + QueryString.encode(query))
        request.method = method
        request.headers.add(name: "User-Agent", value: "streamspace-agent")
        request.headers.add(name: "Accept", value: "application/json")
        if let bearer = try token.current() { request.headers.add(name: "Authorization", value: "Bearer " + bearer) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    func shutdown() async { try? await client.shutdown() }
}

/// The bearer token: fixed, or read from a file and read again when the file changes (kubelet
/// rotates projected service-account tokens about hourly). Never logged.
final class TokenSource: Sendable {
    private let credential: KubeConnection.Credential
    private let cached = Mutex<(stamp: [Int64], token: String)?>(nil)

    init(_ credential: KubeConnection.Credential) { self.credential = credential }

    func current() throws(DriverError) -> String? {
        switch credential {
        case .none: return nil
        case .token(let token): return token
        case .tokenFile(let path):
            let stamp = LocalFile.stamp(path)
            if let stamp, let hit = cached.withLock({ $0 }), hit.stamp == stamp { return hit.token }
            let text: String
            do { text = try LocalFile.text(path) } catch {
                throw DriverError(.unavailable, "kubernetes: the token file: \(error)")
            }
            let token = text.filter { !$0.isWhitespace }
            guard !token.isEmpty else { throw DriverError(.unavailable, "kubernetes: the token file \(path) is empty") }
            if let stamp { cached.withLock { $0 = (stamp, token) } }
            return token
        }
    }
}

/// A streaming answer: the status, then the body as it arrives; leaving the iteration early
/// cancels the request.
struct KubeStream: Sendable {
    var status: Int
    var body: HTTPClientResponse.Body
}
