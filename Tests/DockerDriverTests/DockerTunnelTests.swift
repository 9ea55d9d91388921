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
        // Every line different: a lost, doubled or reordered piece shows in the hash.
        _ = try DockerTest.exec("ss-\(id)", "seq 1 13000000 > /config/big.txt")
        let sent = try DockerTest.exec("ss-\(id)", "sha256sum /config/big.txt").prefix(64)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-\(id).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try #require(FileHandle(forWritingAtPath: path))
        let began = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: harness.endpoints.viewerURL(sessionId: id) + "big.txt"),
                                                           timeout: .seconds(300))
        #expect(response.status == .ok)
        var received = 0
        for try await piece in response.body {
            received += piece.readableBytes
            try file.write(contentsOf: piece.readableBytesView)
        }
        let elapsed = ContinuousClock.now - began
        try file.close()
        #expect(received == 105_888_897, "seq 1 13000000 is 105888897 bytes")
        #expect(try sha256(path) == String(sent), "the bytes through the tunnel differ from the session's file")
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("tunnel download: \(received) bytes in \(elapsed) (\(Int(Double(received) / 1e6 / seconds)) MB/s)")
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
        #expect(got > 22_888_896, "the whole answer to GET /big.txt (seq 1 3000000: 22888896 bytes) and its head")
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

/// The host's `sha256sum` of a file (hex).
func sha256(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output.prefix(64), as: UTF8.self)
}
