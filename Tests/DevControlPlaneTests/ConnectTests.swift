import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Testing

@Suite("Connect: the gate before the upgrade, replacement, fresh-connection closes")
struct ConnectTests {
    @Test("refused before approval (403), unknown (404), bad key (401): with and without upgrade headers")
    func refusals() async throws {
        try await withControlPlane { cp, endpoints in
            let key = cp.configuration.apiKey
            _ = try await register(endpoints, agentId: "agent-p", key: key)
            for upgrade in [true, false] {
                let pending = try await connectRequest(endpoints, agentId: "agent-p", key: key, upgrade: upgrade)
                #expect(pending.status == 403)
                #expect(pending.json?["error"]?.stringValue != nil)
                #expect(try await connectRequest(endpoints, agentId: "nobody", key: key, upgrade: upgrade).status == 404)
                #expect(try await connectRequest(endpoints, agentId: "agent-p", key: String(repeating: "0", count: 64), upgrade: upgrade).status == 401)
                #expect(try await connectRequest(endpoints, agentId: "agent-p", key: "short", upgrade: upgrade).status == 401)
                #expect(try await connectRequest(endpoints, agentId: "agent-p", key: nil, upgrade: upgrade).status == 401)
            }
            await #expect(throws: TestSocketError.self) {
                _ = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-p"), apiKey: key)
            }
            try await cp.approve(agentId: "agent-p")
            // Approved, but a plain GET is not an upgrade.
            #expect(try await connectRequest(endpoints, agentId: "agent-p", key: key, upgrade: false).status == 400)
            let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-p"), apiKey: key)
            try await cp.waitFor("connected") { $0.agent("agent-p")?.connected == true }
            #expect(await cp.state.agent("agent-p")?.status == "online")
            await socket.close()
            try await cp.waitFor("disconnected") { $0.agent("agent-p")?.connected == false }
        }
    }

    @Test("an id the input filter mangles can never connect")
    func filteredIDCannotConnect() async throws {
        try await withControlPlane { cp, endpoints in
            // "agent--x" is filtered to "agentx": even an approved "agent--x" could not be found.
            let answer = try await connectRequest(endpoints, agentId: "agent--x", key: cp.configuration.apiKey, upgrade: true)
            #expect(answer.status == 404)
        }
    }

    @Test("a second connection for the same id replaces the first")
    func replacement() async throws {
        try await withControlPlane { cp, endpoints in
            let first = try await connectedAgent(cp, endpoints, "agent-twice")
            let second = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-twice"), apiKey: cp.configuration.apiKey)
            try await first.waitUntilFinished()
            #expect(first.closeReason?.contains("replaced") == true)
            try await cp.waitFor("second connection current") {
                $0.agent("agent-twice")?.connections == 2 && $0.agent("agent-twice")?.connected == true
            }
            // The old connection's end did not disconnect the new one; commands reach it.
            try await Task.sleep(for: .milliseconds(200))
            #expect(await cp.state.agent("agent-twice")?.connected == true)
            let id = try await cp.send(action: "stop_session", payload: .object(["sessionId": .string("s-1")]), to: "agent-twice")
            let frames = try await second.waitForFrames(1)
            #expect(messages(in: frames[0]).first?.payload["commandId"]?.stringValue == id)
            #expect(!second.isFinished)
            await second.close()
        }
    }

    @Test("--close-fresh-connections 1 closes the first connection right after it opens")
    func freshConnectionClosed() async throws {
        try await withControlPlane({ $0.closeFreshConnections = 1 }) { cp, endpoints in
            let key = cp.configuration.apiKey
            _ = try await register(endpoints, agentId: "agent-fresh", key: key)
            try await cp.approve(agentId: "agent-fresh")
            // Asserted on the server side: WSClient 1.6.2 sometimes misses a close frame (and the
            // EOF) that arrives right behind the 101 response, so the first client may not notice.
            let first = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-fresh"), apiKey: key)
            try await cp.waitFor("first connection gone") {
                $0.agent("agent-fresh")?.lastDisconnectReason?.contains("close-fresh-connections") == true
            }
            let second = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-fresh"), apiKey: key)
            try await cp.waitFor("second connection") { $0.agent("agent-fresh")?.connected == true }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!second.isFinished)
            #expect(await cp.state.agent("agent-fresh")?.connections == 2)
            await first.close()
            await second.close()
        }
    }

    @Test("rejecting a connected agent closes its connection")
    func rejectCloses() async throws {
        try await withControlPlane { cp, endpoints in
            let socket = try await connectedAgent(cp, endpoints, "agent-bye")
            try await cp.reject(agentId: "agent-bye")
            try await socket.waitUntilFinished()
            try await cp.waitFor("disconnected") { $0.agent("agent-bye")?.connected == false }
        }
    }

    @Test("stop closes agent connections and returns")
    func stopClosesConnections() async throws {
        var configuration = DevControlPlaneConfiguration.forTesting()
        configuration.autoApprove = true
        let cp = DevControlPlane(configuration: configuration, logger: testLogger("dev-cp"))
        let endpoints = try await cp.start()
        _ = try await register(endpoints, agentId: "agent-stop", key: configuration.apiKey)
        let socket = try await TestSocket.connect(url: endpoints.connectURL(agentId: "agent-stop"), apiKey: configuration.apiKey)
        try await cp.waitFor("connected") { $0.agent("agent-stop")?.connected == true }
        await cp.stop()
        try await socket.waitUntilFinished()
        #expect(socket.closeCode == 1001)
        #expect(cp.endpoints == nil)
    }

    @Test("a port in use or a bad key: start fails with a clear error")
    func startFailures() async throws {
        try await withControlPlane { _, endpoints in
            var taken = DevControlPlaneConfiguration.forTesting()
            taken.port = endpoints.agentPort
            let second = DevControlPlane(configuration: taken, logger: testLogger("dev-cp-2"))
            let error = await #expect(throws: DevControlPlaneError.self) { try await second.start() }
            #expect(error?.description.contains("agent endpoint could not start") == true)
            await second.stop()
        }
        let badKey = DevControlPlane(configuration: .forTesting(apiKey: "not-hex"), logger: testLogger("dev-cp-3"))
        let error = await #expect(throws: DevControlPlaneError.self) { try await badKey.start() }
        #expect(error?.description.contains("64 hexadecimal") == true)
    }
}
