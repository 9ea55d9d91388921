import DriverModel
import NIOCore
import NIOHTTP1
@testable import PlatformKit
import Testing

/// What a request carries: the caller's headers, the credentials' Authorization, a patch body
/// under its own content type; and refusals for a header that would inject another.
@Suite struct PlatformRequestTests {
    @Test func aMergePatchCarriesItsTypeTheTokenAndTheCallersHeaders() async throws {
        let client = try PlatformHTTPClient(address: .http(host: "127.0.0.1", port: 1, tls: nil), platformName: "Kubernetes",
                                            credentials: .bearer("t0ken"))
        defer { Task { await client.shutdown() } }
        let patch = JSONValue.object(["spec": .object(["replicas": .int(0)])])
        let request = try client.makeRequest(.PATCH, "/apis/apps/v1/namespaces/s/deployments/d/scale", query: [],
                                             body: .mergePatch(patch), headers: [("Accept", "application/json")])
        #expect(request.method == .PATCH)
        #expect(request.headers["Content-Type"] == ["application/merge-patch+json"])
        #expect(request.headers["Authorization"] == ["Bearer t0ken"])
        #expect(request.headers["Accept"] == ["application/json"])
        #expect(PlatformRequestBody.mergePatch(patch).bytes == Array(#"{"spec":{"replicas":0}}"#.utf8))
        #expect(PlatformRequestBody.raw([1, 2], contentType: "application/octet-stream").contentType == "application/octet-stream")
        #expect(throws: DriverError.self) {
            try client.makeRequest(.GET, "/", query: [], body: nil, headers: [("X-A", "1\r\nX-Evil: 2")])
        }
        #expect(throws: DriverError.self) {
            try client.makeRequest(.GET, "/", query: [], body: nil, headers: [("Authorization", "Bearer other")])
        }
        #expect(throws: DriverError.self) { try PlatformHTTPClient.body(json: .null, body: .json(.null)) }
    }
}
