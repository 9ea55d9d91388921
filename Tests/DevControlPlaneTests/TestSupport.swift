import AsyncHTTPClient
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Logging
import NIOCore
import NIOSSL
import Testing

/// Loggers for tests: quiet unless DEVCP_TEST_LOG=debug (or another level) is set.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    let level = getenvString("DEVCP_TEST_LOG").flatMap { Logger.Level(rawValue: $0) } ?? .critical
    logger.logLevel = level
    return logger
}

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

/// Runs `body` against a fresh dev control plane on ephemeral ports, then stops it.
func withControlPlane(
    _ configure: (inout DevControlPlaneConfiguration) -> Void = { _ in },
    _ body: (DevControlPlane, DevControlPlaneEndpoints) async throws -> Void
) async throws {
    var configuration = DevControlPlaneConfiguration.forTesting()
    configure(&configuration)
    let controlPlane = DevControlPlane(configuration: configuration, logger: testLogger("dev-cp"))
    let endpoints = try await controlPlane.start()
    do {
        try await body(controlPlane, endpoints)
    } catch {
        await controlPlane.stop()
        throw error
    }
    await controlPlane.stop()
}

struct HTTPAnswer {
    var status: Int
    var text: String
    var json: JSONValue? { try? StrictJSON.parse(text) }
}

/// A registration body as an agent sends it.
func registrationBody(_ agentId: String, platform: String = "docker", region: String = "eu-west") -> String {
    Registration.body(agentId: agentId, platform: platform, region: region,
                      capacity: .init(maxSessions: 4, cpu: "4", memory: "8Gi"),
                      metadata: ["hostname": .string("test-host")]).jsonString()
}

/// `POST /api/v1/agents/register`.
func register(_ endpoints: DevControlPlaneEndpoints, body: String, key: String?,
              client: HTTPClient = .shared) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: endpoints.registerURL)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    if let key { request.headers.add(name: Registration.apiKeyHeader, value: key) }
    request.body = .bytes(ByteBuffer(string: body))
    return try await execute(request, client: client)
}

func register(_ endpoints: DevControlPlaneEndpoints, agentId: String, key: String?,
              client: HTTPClient = .shared) async throws -> HTTPAnswer {
    try await register(endpoints, body: registrationBody(agentId), key: key, client: client)
}

/// `GET /api/v1/agents/connect` — with the WebSocket upgrade headers when `upgrade` (only for
/// requests that are refused: a 101 is not something this client can read).
func connectRequest(_ endpoints: DevControlPlaneEndpoints, agentId: String, key: String?, upgrade: Bool) async throws -> HTTPAnswer {
    var request = HTTPClientRequest(url: endpoints.connectURL(agentId: agentId)
        .replacingPrefix("ws://", with: "http://").replacingPrefix("wss://", with: "https://"))
    if let key { request.headers.add(name: Registration.apiKeyHeader, value: key) }
    if upgrade {
        request.headers.add(name: "Connection", value: "Upgrade")
        request.headers.add(name: "Upgrade", value: "websocket")
        request.headers.add(name: "Sec-WebSocket-Version", value: "13")
        request.headers.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
    }
    guard upgrade else { return try await execute(request) }
    // A pooled client gets stuck after a refused upgrade request: use a fresh one.
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let answer = try await execute(request, client: client)
        try await client.shutdown()
        return answer
    } catch {
        try? await client.shutdown()
        throw error
    }
}

func execute(_ request: HTTPClientRequest, client: HTTPClient = .shared) async throws -> HTTPAnswer {
    let response = try await client.execute(request, timeout: .seconds(20))
    let body = try await response.body.collect(upTo: 1 << 20)
    return HTTPAnswer(status: Int(response.status.code), text: String(buffer: body))
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

/// Registers, approves and connects an agent; answers the open socket.
func connectedAgent(_ controlPlane: DevControlPlane, _ endpoints: DevControlPlaneEndpoints, _ agentId: String,
                    reading: Bool = true) async throws -> TestSocket {
    let key = controlPlane.configuration.apiKey
    let first = try await register(endpoints, agentId: agentId, key: key)
    #expect(first.status == 202 || first.status == 200)
    try await controlPlane.approve(agentId: agentId)
    let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: agentId), apiKey: key, reading: reading)
    try await controlPlane.waitFor("\(agentId) connected") { $0.agent(agentId)?.connected == true }
    return socket
}

/// Polls until `condition` holds (generous timeout: these tests must not be timing-flaky).
func eventually(_ what: String, timeout: Duration = .seconds(15), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("timed out waiting for \(what)")
            throw DevControlPlaneError.timedOut(what)
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Messages in a frame the server sent (it batches with `\n`).
func messages(in frame: String) -> [Message] {
    frame.split(separator: "\n").compactMap { try? Message.decode($0).get() }
}

func heartbeat(activeSessions: Int = 0) -> String {
    AgentMessage.heartbeat(activeSessions: activeSessions, capacity: .init(maxSessions: 4, cpu: "4", memory: "8Gi")).encoded()
}

import Glibc
