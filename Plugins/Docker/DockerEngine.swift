import DriverModel
import NIOHTTP1
import PlatformKit
import Synchronization

/// The Docker Engine API calls the driver makes, over PlatformKit's HTTP client. It negotiates
/// the API version down to the daemon's (never below 1.41, the oldest this driver knows) and
/// turns Docker's error answers into the driver's status codes with Docker's own message.
package final class DockerEngine: Sendable {
    static let newestVersion = APIVersion(1, 43)
    static let oldestVersion = APIVersion(1, 41)

    let http: PlatformHTTPClient
    let timeout: Duration
    private let negotiated = Mutex<APIVersion?>(nil)

    init(address: PlatformAddress, timeout: Duration) throws(DriverError) {
        http = try PlatformHTTPClient(address: address, platformName: "Docker")
        self.timeout = timeout
    }

    // MARK: Version

    struct APIVersion: Sendable, Comparable, CustomStringConvertible {
        var major: Int, minor: Int
        init(_ major: Int, _ minor: Int) { self.major = major; self.minor = minor }
        init?(_ text: String) {
            let parts = text.split(separator: ".")
            guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
            self.init(major, minor)
        }
        static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
        var description: String { "\(major).\(minor)" }
    }

    /// The version every call uses: the newest both sides speak. Asked once per daemon; asked
    /// again after a failure (the daemon may have been replaced by a different one).
    func apiVersion() async throws(DriverError) -> APIVersion {
        if let version = negotiated.withLock({ $0 }) { return version }
        let response = try await http.request(.GET, "/_ping", timeout: timeout)
        guard response.isSuccess else {
            throw DriverError(.unavailable, "Docker at \(http.address) answered /_ping with \(response.status): \(response.bodyText)")
        }
        guard let header = response.headers.first(name: "API-Version"), let daemon = APIVersion(header) else {
            throw DriverError(.incompatible, "Docker at \(http.address) did not say which API version it speaks")
        }
        guard daemon >= Self.oldestVersion else {
            throw DriverError(.incompatible,
                              "Docker at \(http.address) speaks API \(daemon); this driver needs \(Self.oldestVersion) or newer (Docker 20.10+)")
        }
        let version = min(daemon, Self.newestVersion)
        negotiated.withLock { $0 = version }
        return version
    }

    func forgetVersion() { negotiated.withLock { $0 = nil } }

    // MARK: Calls

    /// A versioned call. `allowed` statuses come back to the caller; any other is an error
    /// carrying Docker's message.
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONValue? = nil,
              allowed: Set<Int> = [], timeout: Duration? = nil, what: @autoclosure () -> String) async throws(DriverError) -> PlatformResponse {
        let version = try await apiVersion()
        let response: PlatformResponse
        do {
            response = try await http.request(method, "/v\(version)\(path)", query: query, json: json,
                                              timeout: timeout ?? self.timeout)
        } catch {
            if error.code == .unavailable { forgetVersion() }
            throw error
        }
        if response.isSuccess || allowed.contains(response.status) { return response }
        throw Self.error(response, what: what())
    }

    func stream(_ method: HTTPMethod, _ path: String, query: [(String, String)], timeout: Duration?) async throws(DriverError) -> PlatformStream {
        let version = try await apiVersion()
        return try await http.stream(method, "/v\(version)\(path)", query: query, timeout: timeout)
    }

    /// Docker answers errors as {"message": "..."}, classified by PlatformKit's one mapping.
    package static func error(_ response: PlatformResponse, what: String) -> DriverError {
        let refusal = PlatformRefusal.docker(httpStatus: response.status, body: try? response.json(), fallback: response.bodyText)
            ?? PlatformRefusal(status: response.status, message: response.bodyText)
        return PlatformErrorClass.error("docker", status: refusal.status, message: refusal.message, what: what)
    }

    // MARK: Objects

    /// Containers with the given label filters (`key=value` or `key`), stopped ones included.
    func containers(labels: [String]) async throws(DriverError) -> [JSONValue] {
        let filters = JSONValue.object(["label": .array(labels.map { .string($0) })]).jsonString()
        let response = try await call(.GET, "/containers/json", query: [("all", "1"), ("filters", filters)],
                                      what: "listing containers")
        return try response.json().arrayValue ?? []
    }

    func inspectContainer(_ id: String) async throws(DriverError) -> JSONValue? {
        let response = try await call(.GET, "/containers/\(QueryString.segment(id))/json", allowed: [404],
                                      what: "inspecting container \(id)")
        return response.status == 404 ? nil : try response.json()
    }

    func imageExists(_ reference: String) async throws(DriverError) -> Bool {
        let response = try await call(.GET, "/images/\(QueryString.segment(reference))/json", allowed: [404],
                                      what: "inspecting image \(reference)")
        return response.status != 404
    }

    /// Pulls an image, reading the progress stream to its end; bounded by `timeout`.
    func pull(_ image: ImageReference, timeout: Duration) async throws(DriverError) {
        let stream: PlatformStream
        do {
            stream = try await self.stream(.POST, "/images/create",
                                           query: [("fromImage", image.repository), ("tag", image.tag)], timeout: timeout)
        } catch where error.code == .timeout {
            throw DriverError(.timeout, "docker: pulling \(image.reference) did not finish within \(timeout)")
        }
        // Progress is one JSON object per line; a failure mid-way is {"error": ...} in a 200.
        var lastError: String?
        var pending: [UInt8] = []
        var body: [UInt8] = []
        do {
            for try await chunk in stream.body {
                pending += chunk.readableBytesView
                if stream.status >= 300 { body += chunk.readableBytesView; continue }
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<newline])
                    pending.removeSubrange(...newline)
                    if let object = try? StrictJSON.parse(line), let error = object["error"]?.stringValue {
                        lastError = error
                    }
                }
            }
        } catch {
            let failure = http.transportError(error, what: "pulling \(image.reference)", timeout: timeout)
            if failure.code == .timeout {
                throw DriverError(.timeout, "docker: pulling \(image.reference) did not finish within \(timeout)")
            }
            throw failure
        }
        if stream.status >= 300 {
            throw Self.error(PlatformResponse(status: stream.status, headers: stream.headers, body: body),
                             what: "pulling \(image.reference)")
        }
        if let lastError {
            throw PlatformErrorClass.error("docker", status: nil, message: lastError, what: "pulling \(image.reference)")
        }
    }

    /// Creates the network if it does not exist yet. Safe to race: a conflict means it exists.
    func ensureNetwork(_ name: String) async throws(DriverError) {
        let existing = try await call(.GET, "/networks/\(QueryString.segment(name))", allowed: [404],
                                      what: "inspecting network \(name)")
        if existing.status != 404 { return }
        let body: JSONValue = .object([
            "Name": .string(name), "Driver": .string("bridge"), "CheckDuplicate": .bool(true),
            "Labels": .object([DockerNames.managedLabel: .string("true")]),
        ])
        _ = try await call(.POST, "/networks/create", json: body, allowed: [409], what: "creating network \(name)")
    }

    func ensureVolume(_ name: String, labels: [String: String]) async throws(DriverError) {
        let body: JSONValue = .object(["Name": .string(name), "Labels": .object(labels.mapValues { .string($0) })])
        _ = try await call(.POST, "/volumes/create", json: body, what: "creating volume \(name)")
    }

    func volumes(labels: [String]) async throws(DriverError) -> [String] {
        let filters = JSONValue.object(["label": .array(labels.map { .string($0) })]).jsonString()
        let response = try await call(.GET, "/volumes", query: [("filters", filters)], what: "listing volumes")
        return (try response.json()["Volumes"]?.arrayValue ?? []).compactMap { $0["Name"]?.stringValue }
    }

    func removeVolume(_ name: String) async throws(DriverError) {
        _ = try await call(.DELETE, "/volumes/\(QueryString.segment(name))", allowed: [404], what: "removing volume \(name)")
    }
}
