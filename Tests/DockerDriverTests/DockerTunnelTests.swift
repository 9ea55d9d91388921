import AgentHost
import AgentTestSupport
import AsyncHTTPClient
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import WSClient

/// The session tunnel end to end: the dev control plane's viewer URL, the agent's tunnel host,
/// a Docker session (streamspace-test/httpd:2: files and a WebSocket echo on 8080).
@Suite(.serialized, dockerTrait) struct DockerTunnelTests {
    @Test("a session's page and its WebSocket echo through the viewer URL")
    func pageAndWebSocket() async throws {
        let (harness, id) = try await runningSession()
        defer { DockerTest.cleanUp([id]) }
        let base = harness.endpoints.viewerURL(sessionId: id)
        #expect(try await Probes.fetch(base).contains("streamspace session"))
        #expect(try await Probes.fetch(base + "ws.html").contains("WebSocket echo"))

        let echoed = Mutex<[String]>([])
        let url = base.replacingOccurrences(of: "http://", with: "ws://") + "echo"
        _ = try await WebSocketClient.connect(url: url, logger: Logger(label: "ws-test")) { inbound, outbound, _ in
            try await outbound.write(.text("hello through the tunnel"))
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { echoed.withLock { $0.append(text) } }
                break
            }
            try await outbound.close(.normalClosure, reason: "done")
        }
        #expect(echoed.withLock { $0 } == ["hello through the tunnel"])
        await finish(harness, id)
    }

    @Test("a 100 MB download through the tunnel arrives byte for byte")
    func largeDownload() async throws {
        let (harness, id) = try await runningSession()
        defer { DockerTest.cleanUp([id]) }
        // Every line different: a lost, doubled or reordered piece shows.
        let lines = 13_000_000
        _ = try DockerTest.exec("ss-\(id)", "seq 1 \(lines) > /config/big.txt")
        let began = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: harness.endpoints.viewerURL(sessionId: id) + "big.txt"),
                                                           timeout: .seconds(300))
        #expect(response.status == .ok)
        var expected = SeqBytes(), received = 0, firstMismatch: Int?
        for try await piece in response.body {
            for byte in piece.readableBytesView {
                if firstMismatch == nil, expected.next() != byte { firstMismatch = received }
                received += 1
            }
        }
        let elapsed = ContinuousClock.now - began
        #expect(firstMismatch == nil, "first wrong byte at offset \(firstMismatch ?? -1)")
        #expect(received == SeqBytes.length(upTo: lines) && received > 100_000_000)
        print("tunnel download: \(received) bytes in \(elapsed) (\(Double(received) / 1e6 / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) MB/s)")
        await finish(harness, id)
    }

    @Test("a reader that stops reading stalls its own stream only: another stream and the heartbeats carry on")
    func stalledStream() async throws {
        let (harness, id) = try await runningSession()
        defer { DockerTest.cleanUp([id]) }
        _ = try DockerTest.exec("ss-\(id)", "seq 1 3000000 > /config/big.txt")
        let stalled = try await harness.controlPlane.openTunnel(sessionId: id)
        try await stalled.write(ByteBuffer(string: "GET /big.txt HTTP/1.1\r\nHost: session\r\nConnection: close\r\n\r\n"))
        // Never read: the agent may send one window, then must wait.
        try await Task.sleep(for: .seconds(1))
        let heartbeatsBefore = await harness.controlPlane.state.agent(harness.agentID)?.heartbeats ?? 0

        let began = ContinuousClock.now
        for _ in 0..<5 {
            #expect(try await Probes.fetch(harness.endpoints.viewerURL(sessionId: id)).contains("streamspace session"))
        }
        let fiveRequests = ContinuousClock.now - began
        #expect(fiveRequests < .seconds(5), "five small requests beside a stalled stream took \(fiveRequests)")
        try await Task.sleep(for: .seconds(3))
        let heartbeatsAfter = await harness.controlPlane.state.agent(harness.agentID)?.heartbeats ?? 0
        #expect(heartbeatsAfter >= heartbeatsBefore + 2, "heartbeats \(heartbeatsBefore) → \(heartbeatsAfter) during the stall")
        #expect(await harness.controlPlane.state.agent(harness.agentID)?.connected == true)

        // The stalled stream still holds its bytes: reading resumes it.
        var got = 0
        for try await piece in stalled.inbound { got += piece.readableBytes }
        #expect(got > SeqBytes.length(upTo: 3_000_000))
        stalled.end()
        await finish(harness, id)
    }

    @Test("tunnel_open for a port or a session that is not a live session's is refused and logged by the agent")
    func refusals() async throws {
        let (harness, id) = try await runningSession()
        defer { DockerTest.cleanUp([id]) }
        for (session, port) in [("no-such-session", 8080), (id, 9999)] {
            do {
                let stream = try await harness.controlPlane.openTunnel(agentId: harness.agentID, sessionId: session, port: port)
                stream.reset("should not have opened")
                Issue.record("tunnel to \(session):\(port) opened")
            } catch let error as TunnelStreamError {
                #expect(error.isRefused, "\(error)")
            }
            _ = try await harness.waitFor("the agent's log to name \(session) and \(port)") { _ in
                harness.logs.all.contains { $0.contains(session) && $0.contains("\(port)") && $0.lowercased().contains("tunnel") }
            }
        }
        await finish(harness, id)
    }

    // MARK: Helpers

    private func runningSession() async throws -> (LinkHarness, String) {
        let harness = try await LinkHarness.connected(driverName: "docker")
        let created = try await harness.controlPlane.createSession(SessionRequest(
            agentId: harness.agentID, user: "alice", template: "httpd", image: DockerTest.image, port: 8080,
            cpu: "250m", memory: "64Mi"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        _ = try await harness.waitFor("session viewable") { $0.session(created.sessionId)?.viewable == true }
        return (harness, created.sessionId)
    }

    private func finish(_ harness: LinkHarness, _ id: String) async {
        if let stop = try? await harness.controlPlane.deleteSession(id, deletePVC: true) {
            _ = try? await harness.waitForCommand(stop, .completed)
        }
        await harness.expectNothingRejected()
        await harness.shutdown()
    }
}

/// The bytes of `seq 1 N`, generated as they are compared.
struct SeqBytes {
    private var number = 0
    private var pending: [UInt8] = []
    private var index = 0

    mutating func next() -> UInt8 {
        if index == pending.count {
            number += 1
            pending = Array("\(number)\n".utf8)
            index = 0
        }
        defer { index += 1 }
        return pending[index]
    }

    /// The length of `seq 1 n`'s output.
    static func length(upTo n: Int) -> Int {
        var total = 0, digits = 1, low = 1
        while low <= n {
            let high = min(n, low * 10 - 1)
            total += (high - low + 1) * (digits + 1)
            low *= 10
            digits += 1
        }
        return total
    }
}
