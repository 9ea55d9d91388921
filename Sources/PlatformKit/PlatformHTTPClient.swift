import AsyncHTTPClient
import DriverModel
import NIOCore
import NIOHTTP1
import NIOSSL

/// Where a platform's REST API listens: a local unix socket (Docker, LXD) or HTTP(S) over TCP
/// with optional client certificates (a remote Docker daemon or LXD server).
public enum PlatformAddress: Sendable, Equatable, CustomStringConvertible {
    case unixSocket(path: String)
    case http(host: String, port: Int, tls: TLSMaterial?)

    /// Docker's and LXD's name for it: their TLS is files.
    public typealias TLSFiles = TLSMaterial

    public var description: String {
        switch self {
        case .unixSocket(let path): "unix://\(path)"
        case .http(let host, let port, let tls): "\(tls == nil ? "http" : "https")://\(host):\(port)"
        }
    }

    public var isLocal: Bool {
        if case .unixSocket = self { return true }
        return false
    }
}

/// One HTTP answer, body read in full.
public struct PlatformResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as JSON; an empty body is `null`.
    public func json() throws(DriverError) -> JSONValue {
        if body.isEmpty { return .null }
        do {
            return try StrictJSON.parse(body)
        } catch {
            throw DriverError(.internal, "the platform answered \(status) with a body that is not JSON (\(error))")
        }
    }

    /// The text of the body, cut to a length fit for an error message.
    public var bodyText: String {
        String(decoding: body.prefix(2048), as: UTF8.self).trimmingWhitespace()
    }
}

/// A streaming answer: the status and headers, then the body as it arrives. Leaving the
/// iteration early (or cancelling the task) cancels the request.
public struct PlatformStream: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPClientResponse.Body
}

/// The HTTP client drivers share to reach a platform's REST API: a pooled AsyncHTTPClient over a
/// unix socket or TCP/TLS, JSON in and out, deadlines on every call, and one rule for turning
/// transport failures into the driver's status codes (UNAVAILABLE: the platform is not there;
/// TIMEOUT: it did not answer in time).
///
/// Two pools: one for requests, one for streams. A stream (a watch, followed logs, an event
/// feed) holds its HTTP/1.1 connection for as long as it lasts; in the requests' pool, enough of
/// them (a wait-for-Ready watch per session starting, 100 starts at once) left no connection
/// for the calls the starts needed next, which failed. Requests also queue here, bounded by
/// their own deadline (RequestSlots), never by the pool's connect timeout.
public final class PlatformHTTPClient: Sendable {
    public let address: PlatformAddress
    /// "Docker", "LXD": how error messages name the platform.
    public let platformName: String
    private let client: HTTPClient
    /// Streams only: their own pool, so that however many are open, requests keep theirs.
    private let streamClient: HTTPClient
    /// One per connection of `client`: a request waits for one, not in the pool's queue.
    private let slots: RequestSlots
    /// How many streams may be open at once (connections of `streamClient`).
    public let maxStreams: Int
    private let baseURL: String
    let hostHeader: String
    /// TLS to a remote platform (nil: plain HTTP or a unix socket); WebSockets use it too.
    let tlsConfiguration: TLSConfiguration?
    /// Sent with every request as its Authorization header.
    public let credentials: PlatformCredentials

    /// - maxConnections: HTTP/1.1 connections kept to the platform for requests; concurrent
    ///   calls beyond it wait their turn (within their own timeout). Platform calls are slow
    ///   (container creation) rather than many, so the default lets a burst of session starts
    ///   run side by side.
    /// - maxStreams: streams open at once, each on a connection of its own (separate from the
    ///   requests'). A stream beyond it waits for one to end, up to the connect timeout, then
    ///   fails with RESOURCE_EXHAUSTED. The default leaves room for a watch per session
    ///   starting in a large burst, plus followed logs.
    public init(address: PlatformAddress, platformName: String, maxConnections: Int = 32, maxStreams: Int = 256,
                connectTimeout: Duration = .seconds(5), credentials: PlatformCredentials = .none) throws(DriverError) {
        guard maxConnections > 0, maxStreams > 0 else {
            throw DriverError(.internal, "\(platformName): a client needs at least one connection and one stream")
        }
        self.address = address
        self.credentials = credentials
        self.platformName = platformName
        self.maxStreams = maxStreams
        slots = RequestSlots(maxConnections)
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.nanoseconds)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60),
                                             concurrentHTTP1ConnectionsPerHostSoftLimit: maxConnections)
        // A platform that is not there must say so at once (health checks, clear errors), not
        // after the pool has retried the connection until the call's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        var tlsConfiguration: TLSConfiguration?
        switch address {
        case .unixSocket(let path):
            baseURL = "http+unix://" + QueryString.percentEncode(path)
            // AsyncHTTPClient sends no Host header over unix sockets; Go servers require one.
            hostHeader = "localhost"
        case .http(let host, let port, let tls):
            let bracketed = host.contains(":") ? "[\(host)]" : host
            baseURL = "\(tls == nil ? "http" : "https")://\(bracketed):\(port)"
            hostHeader = "\(bracketed):\(port)"
            if let tls { tlsConfiguration = try Self.tlsConfiguration(tls, platformName: platformName) }
        }
        configuration.tlsConfiguration = tlsConfiguration
        self.tlsConfiguration = tlsConfiguration
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxStreams
        streamClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func tlsConfiguration(_ material: TLSMaterial, platformName: String) throws(DriverError) -> TLSConfiguration {
        try material.configuration(platformName: platformName)
    }

    /// Sends a request and reads the whole answer (at most `maxBody` bytes). `json` is
    /// shorthand for `body: .json(…)`; `headers` are added to this request only.
    public func request(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                        json: JSONValue? = nil, body: PlatformRequestBody? = nil, headers: [(String, String)] = [],
                        timeout: Duration = .seconds(30),
                        maxBody: Int = 64 << 20) async throws(DriverError) -> PlatformResponse {
        let what = "\(method) \(path)"
        let request = try makeRequest(method, path, query: query, body: try Self.body(json: json, body: body), headers: headers)
        let deadline = ContinuousClock.now + timeout
        guard await slots.acquire(until: deadline) else {
            if Task.isCancelled { throw DriverError(.cancelled, "\(platformName): \(what) was cancelled") }
            throw DriverError(.timeout, "\(platformName) at \(address) did not answer \(what) within \(timeout): all \(slots.count) connections stayed busy with other requests (\(slots.waiting) more waiting)")
        }
        defer { slots.release() }
        do {
            let left = deadline - ContinuousClock.now
            let response = try await client.execute(request, timeout: .nanoseconds(max(0, left.nanoseconds)))
            let bytes = try await response.body.collect(upTo: maxBody)
            return PlatformResponse(status: Int(response.status.code), headers: response.headers,
                                    body: Array(buffer: bytes))
        } catch {
            throw transportError(error, what: what, timeout: timeout)
        }
    }

    /// Sends a request whose answer streams (logs, pulls, events). `timeout` bounds the whole
    /// exchange, streaming included; pass nil for streams that last as long as the caller reads.
    public func stream(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
                       json: JSONValue? = nil, body: PlatformRequestBody? = nil, headers: [(String, String)] = [],
                       timeout: Duration?) async throws(DriverError) -> PlatformStream {
        let what = "\(method) \(path)"
        let request = try makeRequest(method, path, query: query, body: try Self.body(json: json, body: body), headers: headers)
        do {
            let response: HTTPClientResponse
            if let timeout {
                response = try await streamClient.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            } else {
                response = try await streamClient.execute(request, deadline: .distantFuture)
            }
            return PlatformStream(status: Int(response.status.code), headers: response.headers, body: response.body)
        } catch {
            throw transportError(error, what: what, timeout: timeout)
        }
    }

    /// Turns a transport failure into the driver's vocabulary, naming the platform and where
    /// it was looked for.
    public func transportError(_ error: any Error, what: String, timeout: Duration?) -> DriverError {
        if let error = error as? DriverError { return error }
        if error is CancellationError { return DriverError(.cancelled, "\(platformName): \(what) was cancelled") }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                let limit = timeout.map { " within \($0)" } ?? ""
                return DriverError(.timeout, "\(platformName) at \(address) did not answer \(what)\(limit)")
            case .cancelled:
                return DriverError(.cancelled, "\(platformName): \(what) was cancelled")
            case .connectTimeout:
                return DriverError(.unavailable, "cannot reach \(platformName) at \(address): connection timed out")
            case .remoteConnectionClosed:
                return DriverError(.unavailable, "\(platformName) at \(address) closed the connection during \(what)")
            case .getConnectionFromPoolTimeout:
                // Streams are what reach the pool's queue (a request waits for a slot first).
                return DriverError(.resourceExhausted, "\(platformName) at \(address): \(what) found no free connection in time: at most \(maxStreams) streams (watches, followed logs) are open at once")
            default: break
            }
        }
        if error is NIOTooManyBytesError {
            return DriverError(.internal, "\(platformName) answered \(what) with more data than expected")
        }
        // Refused, reset, a name that does not resolve, TLS…: worded as the link words them.
        let failure = TransportFailure(error)
        guard failure.kind == .other else {
            return DriverError(.unavailable, "cannot reach \(platformName) at \(address): \(failure.phrase)")
        }
        return DriverError(.unavailable, "\(platformName) at \(address): \(what) failed: \(failure.phrase)")
    }

    static func body(json: JSONValue?, body: PlatformRequestBody?) throws(DriverError) -> PlatformRequestBody? {
        switch (json, body) {
        case (let json?, nil): return .json(json)
        case (nil, let body): return body
        case (_?, _?): throw DriverError(.internal, "a request was given both a JSON body and another body")
        }
    }

    /// The request as sent: the caller's headers checked (one line each; Host, Content-Type
    /// and Authorization are the client's own), then the credentials' Authorization.
    func makeRequest(_ method: HTTPMethod, _ path: String, query: [(String, String)],
                     body: PlatformRequestBody?, headers: [(String, String)] = []) throws(DriverError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path + QueryString.encode(query))
        request.method = method
        request.headers.add(name: "Host", value: hostHeader)
        request.headers.add(name: "User-Agent", value: "streamspace-agent")
        for (name, value) in headers {
            let reserved = ["host", "content-type", "authorization", "content-length"]
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }),
                  !reserved.contains(name.lowercased()) else {
                throw DriverError(.internal, "\(platformName): the header name \"\(name)\" is not one a request may set")
            }
            guard !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
                throw DriverError(.internal, "\(platformName): the header \(name) holds a line break or NUL")
            }
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let authorization = try credentials.authorization() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: body.contentType)
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        return request
    }

    /// Closes every connection. Call once, from the driver's shutdown.
    public func shutdown() async {
        try? await streamClient.shutdown()
        try? await client.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
