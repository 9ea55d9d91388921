import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DevControlPlane
import DriverModel
import Foundation
import Testing

/// Logs on demand over the link, with the mock driver: many streams at once, bounded memory
/// under a stalled Control Plane, exactly one log_end each.
@Suite(.serialized) struct LogStreamingTests {
    /// The mock's sessions have `logLines` lines (about 70 bytes each) when they start.
    func harness(logLines: Int) async throws -> LinkHarness {
        try await LinkHarness(driverConfig: #"{"logLines": \#(logLines), "logIntervalMs": 20}"#, configure: {
            $0.pingInterval = .seconds(30)
            $0.pongTimeout = .seconds(60)
            $0.maxLogBytesPerRequest = 64 << 20
        }, configureLink: { $0.pingInterval = .seconds(30) })
    }

    @Test func manyStreamsAtOnceEachEndExactlyOnce() async throws {
        let harness = try await harness(logLines: 50)
        harness.startAgent()
        try await harness.waitUntilConnected()
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: harness.agentID, user: "alice", template: "t"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        var requests: [String] = []
        for index in 0..<20 {
            requests.append(try await harness.controlPlane.requestLogs(
                sessionId: created.sessionId, LogsRequest(follow: index % 2 == 0, tailLines: 10)))
        }
        // The followers get new lines; then every stream is cancelled or has completed.
        let all = requests
        try await harness.waitFor("every stream has data") { state in all.allSatisfy { (state.logStream($0)?.chunks.count ?? 0) > 0 } }
        for request in requests { await harness.controlPlane.cancelLogs(requestId: request) }
        let state = try await harness.waitFor("every stream ended") { state in all.allSatisfy { state.logStream($0)?.ended == true } }
        for (index, request) in requests.enumerated() {
            let stream = try #require(state.logStream(request))
            #expect(stream.reason == (index % 2 == 0 ? "cancelled" : "completed"), "\(request): \(stream.reason ?? "")")
            let text = stream.chunks.map(\.data).joined()
            if index % 2 == 1 { #expect(text.split(separator: "\n").count == 10, "tailLines 10") }
        }
        // A log_end after log_end, or a chunk after it, would have been dropped as rejected.
        await harness.expectNothingRejected()
        #expect(harness.link.activeLogStreams == 0)
        await harness.shutdown()
    }

    @Test func aStalledControlPlaneKeepsTheAgentsMemoryBoundedAndTheLinkAlive() async throws {
        let harness = try await harness(logLines: 300_000)  // about 20 MB of log
        harness.startAgent()
        try await harness.waitUntilConnected()
        let agentID = harness.agentID
        let created = try await harness.controlPlane.createSession(SessionRequest(agentId: agentID, user: "alice", template: "t"))
        _ = try await harness.waitForCommand(created.commandId, .completed)
        let connectionsBefore = await harness.controlPlane.state.agent(agentID)?.connections

        let rssBefore = residentBytes()
        try await harness.controlPlane.pauseReading(agentId: agentID, for: .seconds(4))
        let request = try await harness.controlPlane.requestLogs(sessionId: created.sessionId, LogsRequest(follow: false))
        try await Task.sleep(for: .seconds(3))
        let rssDuringStall = residentBytes()
        let heartbeatsDuringStall = await harness.controlPlane.state.agent(agentID)?.heartbeats ?? 0

        // The agent queued no more than its bound, whatever the log's size.
        #expect(harness.link.peakQueuedLogBytes <= 1 << 20, "queued \(harness.link.peakQueuedLogBytes) bytes of log")
        #expect(rssDuringStall - rssBefore < 48 << 20, "RSS grew \((rssDuringStall - rssBefore) >> 20) MiB during the stall")

        // After the stall: the whole log arrives, in order, ended once, on the same connection,
        // and heartbeats flow again.
        let state = try await harness.waitFor("the log arrived", timeout: .seconds(60)) { $0.logStream(request)?.ended == true }
        let stream = try #require(state.logStream(request))
        #expect(stream.reason == "completed")
        let lines = stream.chunks.map(\.data).joined().split(separator: "\n").count
        #expect(stream.droppedChunks == 0 && lines == 300_000, "\(lines) lines, \(stream.droppedChunks) chunks dropped")
        #expect(stream.chunks.map(\.seq) == Array(1...stream.chunks.count))
        try await harness.waitFor("heartbeats again") { ($0.agent(agentID)?.heartbeats ?? 0) > heartbeatsDuringStall + 1 }
        #expect(await harness.controlPlane.state.agent(agentID)?.connections == connectionsBefore, "the link stayed up")
        await harness.expectNothingRejected()
        await harness.shutdown()
    }

    @Test func bytesThatAreNotUTF8ArriveAsBase64() {
        let (text, textEncoding) = AgentMessage.logChunkData(Array("héllo\n".utf8)[...])
        #expect(textEncoding == "utf8" && text == "héllo\n")
        let (binary, binaryEncoding) = AgentMessage.logChunkData([0xFF, 0xFE, 0x00, 0x41][...])
        #expect(binaryEncoding == "base64" && Data(base64Encoded: binary) == Data([0xFF, 0xFE, 0x00, 0x41]))
    }

    private func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
