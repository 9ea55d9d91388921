import AsyncHTTPClient
import ControlPlaneProtocol
import DevControlPlane
import NIOCore
import Testing

/// The viewer listener against a raw WebSocket standing in for the agent: the request that
/// reaches the session, the answer that reaches the browser, and the viewer's own pages.
@Suite("Viewer: sessions at /sessions/<id>/ through the tunnel")
struct ViewerTests {
    @Test("a GET reaches the session's viewer port without the prefix and with Connection: close; the answer comes back whole")
    func proxiedRequest() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-view")
            let fake = FakeTunnelAgent(agent)
            try await running(agent, cp, "s-view", port: 8080)
            let url = endpoints.viewerURL(sessionId: "s-view") + "hello.txt?x=1"
            #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/sessions/s-view/hello.txt?x=1"))
            let answer = Task { try await execute(HTTPClientRequest(url: url)) }

            let open = try await fake.nextOpen()
            #expect(open.sessionId == "s-view" && open.port == 8080)
            try await agent.send(TunnelMessage.opened(streamId: open.id, window: TunnelStream.window).message.encoded())
            try await eventually("the request head") { String(decoding: fake.data(open.id), as: UTF8.self).contains("\r\n\r\n") }
            let head = String(decoding: fake.data(open.id), as: UTF8.self).lowercased()
            #expect(head.hasPrefix("get /hello.txt?x=1 http/1.1\r\n"))
            #expect(head.contains("connection: close\r\n"))
            #expect(head.contains("x-forwarded-prefix: /sessions/s-view\r\n"))
            let body = "hello through the tunnel\n"
            let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            try await agent.send(binary: TunnelData.frame(streamId: open.id, payload: ByteBuffer(string: response)))
            try await agent.send(TunnelMessage.end(streamId: open.id).message.encoded())

            let got = try await answer.value
            #expect(got.status == 200 && got.text == body)
            try await eventually("the stream ended both ways") { fake.ends(open.id) == 1 }
            try await eventually("forgotten") { await cp.openTunnelCount(agentId: "agent-view") == 0 }
            await agent.close()
        }
    }

    @Test("unknown session: 404; not running: 502 naming its state; no slash: 301 to the slash; refused: 502 with the agent's reason")
    func ownPages() async throws {
        try await withControlPlane { cp, endpoints in
            let agent = try await connectedAgent(cp, endpoints, "agent-pages")
            let fake = FakeTunnelAgent(agent)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            defer { _ = client.shutdown() }

            let unknown = try await execute(HTTPClientRequest(url: endpoints.viewerURL(sessionId: "nobody")), client: client)
            #expect(unknown.status == 404 && unknown.text.contains("No session nobody"))
            let elsewhere = try await execute(HTTPClientRequest(url: endpoints.viewerURL + "/elsewhere"), client: client)
            #expect(elsewhere.status == 404)

            try await agent.send(AgentMessage.status(sessionId: "s-asleep", state: "hibernated", vncReady: false, vncPort: 0,
                                                     platformMetadata: [:]).encoded())
            _ = try await cp.waitFor("s-asleep") { $0.session("s-asleep") != nil }
            let asleep = try await execute(HTTPClientRequest(url: endpoints.viewerURL(sessionId: "s-asleep")), client: client)
            #expect(asleep.status == 502 && asleep.text.contains("is hibernated, not running"))

            try await running(agent, cp, "s-pages", port: 8080)
            let bare = try await client.execute(HTTPClientRequest(url: endpoints.viewerURL + "/sessions/s-pages?a=b"), timeout: .seconds(10))
            #expect(bare.status.code == 301 && bare.headers["location"] == ["/sessions/s-pages/?a=b"])

            let refused = Task { try await execute(HTTPClientRequest(url: endpoints.viewerURL(sessionId: "s-pages")), client: client) }
            let open = try await fake.nextOpen()
            try await agent.send(TunnelMessage.reset(streamId: open.id, error: "port 8080 of s-pages does not answer").message.encoded())
            let answer = try await refused.value
            #expect(answer.status == 502 && answer.text.contains("port 8080 of s-pages does not answer"))
            await agent.close()
        }
    }

    /// The agent reports a running session with a viewer on `port`.
    private func running(_ agent: TestSocket, _ cp: DevControlPlane, _ sessionId: String, port: Int) async throws {
        try await agent.send(AgentMessage.status(sessionId: sessionId, state: "running", vncReady: true, vncPort: port,
                                                 platformMetadata: ["url": .string("http://127.0.0.1:\(port)/")]).encoded())
        _ = try await cp.waitFor("\(sessionId) running") { $0.session(sessionId)?.state == "running" }
    }
}
