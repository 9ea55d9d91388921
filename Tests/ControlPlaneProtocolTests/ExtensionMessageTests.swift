import ControlPlaneProtocol
import DriverModel
import Testing

/// The extension messages stay within the server's frame limit however many sessions there are.
struct ExtensionMessageTests {
    static let statuses = (0..<10_000).map { index in
        SessionStatus(sessionId: "user-firefox-\(index)", state: .running,
                      endpoints: [Endpoint(name: "vnc", port: 3000, url: "http://203.0.113.7:\(20000 + index)")],
                      platformMetadata: ["workloadName": .string("ss-user-firefox-\(index)")])
    }

    @Test func tenThousandSessionsSyncInPartsThatEachFitAFrame() throws {
        let messages = AgentMessage.sessionSync(revision: 3, sessions: Self.statuses)
        #expect(messages.count > 1)
        var ids: [String] = []
        for (index, message) in messages.enumerated() {
            #expect(message.encoded().utf8.count <= Message.maxFrameBytes)
            #expect(message.payload["revision"] == .int(3))
            #expect(message.payload["part"] == .int(Int64(index + 1)) && message.payload["parts"] == .int(Int64(messages.count)))
            #expect(GoTypes.mismatch(type: "session_sync", payload: message.payload) == nil)
            ids += message.payload["sessions"]?.arrayValue?.compactMap { $0["sessionId"]?.stringValue } ?? []
        }
        #expect(ids == Self.statuses.map(\.sessionId), "every session once, in order")
    }

    @Test func tenThousandSessionsMetricsInPartsThatEachFitAFrame() throws {
        let sessions = Self.statuses.map { SessionMetrics(sessionId: $0.sessionId, cpuUsedCores: 0.25, memoryBytes: 2 << 30, memoryUsedBytes: 1 << 29) }
        let node = NodeMetrics(cpuCores: 64, cpuUsedCores: 3.5, memoryBytes: 256 << 30, memoryUsedBytes: 64 << 30, diskBytes: 1 << 40, diskUsedBytes: 1 << 38)
        let messages = AgentMessage.metrics(node: node, sessions: sessions, health: Health(.degraded, detail: "slow"))
        #expect(messages.count > 1)
        var count = 0
        for message in messages {
            #expect(message.encoded().utf8.count <= Message.maxFrameBytes)
            #expect(message.payload["node"]?["cpuCores"] == .double(64))
            #expect(message.payload["health"]?["status"] == .string("degraded"))
            #expect(GoTypes.mismatch(type: "metrics", payload: message.payload) == nil)
            count += message.payload["sessions"]?.arrayValue?.count ?? 0
        }
        #expect(count == sessions.count)
        // A small report is one frame.
        #expect(AgentMessage.metrics(node: node, sessions: Array(sessions.prefix(3)), health: Health(.healthy)).count == 1)
    }
}
