import AsyncHTTPClient
import ControlPlaneProtocol
import DriverModel
import Logging
import NIOCore
import NIOHTTP1

/// `POST /api/v1/agents/register` over HTTPS (or HTTP for ws:// URLs), with the agent's TLS
/// settings. The key goes in a header and never into a log line.
struct RegistrationClient: Sendable {
    let configuration: LinkConfiguration
    let httpClient: HTTPClient

    func register(apiKey: String?, timeout: TimeAmount = .seconds(30)) async -> Registration.Outcome {
        var request = HTTPClientRequest(url: configuration.httpBaseURL + Registration.path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "streamspace-agent")
        // One registration per dial, each on a fresh connection: after a link died silently, a
        // kept-alive connection to the same server may be just as dead, and would hold the
        // registration until its read timeout.
        request.headers.add(name: "Connection", value: "close")
        if let apiKey { request.headers.add(name: Registration.apiKeyHeader, value: apiKey) }
        let body = Registration.body(
            agentId: configuration.agentID, platform: configuration.platform, region: configuration.region,
            capacity: configuration.capacity,
            metadata: configuration.metadata.mapValues { JSONValue.string($0) })
        request.body = .bytes(ByteBuffer(string: body.jsonString()))
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            var buffer = try await response.body.collect(upTo: 1 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return Registration.outcome(status: Int(response.status.code), body: bytes)
        } catch {
            return .retry(reason: "cannot register with the Control Plane at \(configuration.httpBaseURL): \(LinkFailureWording.explain(error))")
        }
    }
}
