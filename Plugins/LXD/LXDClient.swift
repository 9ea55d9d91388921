import DriverModel
import NIOHTTP1
import PlatformKit

/// LXD's REST API over PlatformKit's HTTP client: the `{type, status_code, metadata}` envelope,
/// errors with LXD's own message, and background operations waited on with a bound.
package final class LXDClient: Sendable {
    let http: PlatformHTTPClient
    let project: String
    let operationTimeout: Duration

    init(address: PlatformAddress, project: String, operationTimeout: Duration) throws(DriverError) {
        http = try PlatformHTTPClient(address: address, platformName: "LXD")
        self.project = project
        self.operationTimeout = operationTimeout
    }

    /// A synchronous call: the `metadata` of the answer. `allowNotFound` turns 404 into nil.
    func get(_ path: String, query: [(String, String)] = [], what: @autoclosure () -> String) async throws(DriverError) -> JSONValue {
        try await call(.GET, path, query: query, what: what()) ?? .null
    }

    func getIfExists(_ path: String, query: [(String, String)] = [], what: @autoclosure () -> String) async throws(DriverError) -> JSONValue? {
        try await call(.GET, path, query: query, allowNotFound: true, what: what())
    }

    /// Any call; an async answer is waited on (bounded) and its failure becomes an error with
    /// LXD's message, which reaches the Control Plane as is.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONValue? = nil,
              allowNotFound: Bool = false, what: @autoclosure () -> String) async throws(DriverError) -> JSONValue? {
        let response = try await http.request(method, "/1.0" + path, query: query + [("project", project)], json: json,
                                              timeout: operationTimeout)
        let body = try response.json()
        if response.status == 404 && allowNotFound { return nil }
        guard response.isSuccess, body["type"]?.stringValue != "error" else {
            throw Self.error(status: response.status, body: body, fallback: response.bodyText, what: what())
        }
        if body["type"]?.stringValue == "async", let operation = body["operation"]?.stringValue {
            return try await wait(operation, what: what())
        }
        return body["metadata"]
    }

    /// GET <operation>/wait: the operation's metadata once it succeeded.
    private func wait(_ operation: String, what: String) async throws(DriverError) -> JSONValue? {
        let seconds = Int(operationTimeout.components.seconds)
        let response = try await http.request(.GET, operation + "/wait", query: [("timeout", String(seconds)), ("project", project)],
                                              timeout: operationTimeout + .seconds(5))
        return try Self.operationOutcome(status: response.status, body: try response.json(), fallback: response.bodyText,
                                         what: what, timeout: operationTimeout)
    }

    /// A waited-on operation's answer: its result's metadata once it succeeded, else why not.
    package static func operationOutcome(status: Int, body: JSONValue, fallback: String, what: String,
                                         timeout: Duration) throws(DriverError) -> JSONValue? {
        guard (200..<300).contains(status), let metadata = body["metadata"] else {
            throw error(status: status, body: body, fallback: fallback, what: what)
        }
        switch metadata["status_code"]?.intValue {
        case 200: return metadata["metadata"]
        case 103, 105, 106:  // running, pending, ... still: the bound passed
            throw DriverError(.timeout, "lxd: \(what) did not finish within \(timeout)")
        case 401:
            throw DriverError(.cancelled, "lxd: \(what) was cancelled")
        default:
            throw error(status: status, body: body, fallback: "failed", what: what)
        }
    }

    /// LXD's error answer, sync or a failed operation's, classified by PlatformKit's one
    /// mapping (LXD answers 500, or a bare operation failure, for many permanent problems).
    package static func error(status: Int, body: JSONValue, fallback: String, what: String) -> DriverError {
        let refusal = PlatformRefusal.lxd(httpStatus: status, body: body, fallback: fallback)
            ?? PlatformRefusal(status: nil, message: fallback)
        return PlatformErrorClass.error("lxd", status: refusal.status, message: refusal.message, what: what, shown: firstLines)
    }

    /// LXD forwards whole CRIU logs; a person needs the first lines.
    static func firstLines(_ text: String) -> String {
        text.split(separator: "\n").prefix(3).joined(separator: " / ")
    }
}
