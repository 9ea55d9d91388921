import AgentHost
import DriverModel
import Testing

@Suite struct LogStreamTests {
    @Test func tailReturnsTheLastLinesThenEnds() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 20}"#)
        let id = TestSupport.uniqueSessionID("logs")
        _ = try await mock.start(TestSupport.spec(id))
        let (bytes, end) = await mock.openLogs(LogRequest(sessionId: id, tailLines: 3)).collect()
        #expect(end == nil)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.hasSuffix("line 20") == true)
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }

    @Test func followDeliversNewLinesUntilCancelled() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 2, "logIntervalMs": 20}"#)
        let id = TestSupport.uniqueSessionID("follow")
        _ = try await mock.start(TestSupport.spec(id))
        let stream = mock.openLogs(LogRequest(sessionId: id, follow: true))
        var text = ""
        while !text.contains("line 5\n"), let event = await stream.next() {
            if case .data(_, let bytes) = event { text += String(decoding: bytes, as: UTF8.self) }
        }
        #expect(text.contains("line 3\n"), "lines written after the stream opened arrive")
        stream.cancel()
        let (_, end) = await stream.collect()
        #expect(end?.code == .cancelled)
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }

    /// A reader that stops reading pauses the driver: the buffer stays at the mark (plus one
    /// write), and reading again resumes the stream where it was, losing nothing.
    @Test func stalledReaderPausesTheDriverAndLosesNothing() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 0, "logIntervalMs": 1}"#)
        let id = TestSupport.uniqueSessionID("stall")
        _ = try await mock.start(TestSupport.spec(id))
        let stream = mock.openLogs(LogRequest(sessionId: id, follow: true), highWaterBytes: 1024)
        try await Task.sleep(for: .milliseconds(500))  // ~500 lines offered, none read
        #expect(stream.peakBufferedBytes <= 1024 + 256)
        var text = ""
        while !text.contains(" line 200\n"), let event = await stream.next() {
            if case .data(_, let bytes) = event { text += String(decoding: bytes, as: UTF8.self) }
        }
        let numbers = text.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        #expect(numbers == Array(1...200), "every line, in order, after pauses and resumes")
        stream.cancel()
        _ = await stream.collect()
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }

    @Test func stoppingTheSessionEndsItsStream() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logIntervalMs": 20}"#)
        let id = TestSupport.uniqueSessionID("ends")
        _ = try await mock.start(TestSupport.spec(id))
        let stream = mock.openLogs(LogRequest(sessionId: id, follow: true))
        _ = try await mock.stop(StopRequest(sessionId: id))
        let (_, end) = await stream.collect()
        #expect(end == nil)
        await mock.destroy()
    }

    @Test func destroyEndsOpenStreams() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logIntervalMs": 20}"#)
        let id = TestSupport.uniqueSessionID("destroy")
        _ = try await mock.start(TestSupport.spec(id))
        let streams = (0..<10).map { _ in mock.openLogs(LogRequest(sessionId: id, follow: true)) }
        await mock.destroy()
        for stream in streams {
            let (_, end) = await stream.collect()
            #expect(end?.code == .cancelled)
        }
        let fresh = try await TestSupport.driver("mock")
        _ = try await fresh.stop(StopRequest(sessionId: id))
        await fresh.destroy()
    }

    @Test func unsupportedLogsEndAtOnce() async throws {
        let twin = try await TestSupport.driver("twin")
        let (_, end) = await twin.openLogs(LogRequest(sessionId: "x")).collect()
        #expect(end?.code == .unsupported)
        await twin.destroy()
    }
}
