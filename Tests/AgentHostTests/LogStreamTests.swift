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
        // Writes the reader had not taken yet arrive joined, so the last read may go past 200.
        #expect(Array(numbers.prefix(200)) == Array(1...200), "every line, in order, after pauses and resumes")
        #expect(numbers == Array(1...numbers.count))
        stream.cancel()
        _ = await stream.collect()
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }

    /// A driver writing line by line while nobody reads: the lines wait joined in one event
    /// (in order, up to the coalescing bound), not one event per line.
    @Test func writesNotYetReadArriveJoined() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 500, "logWriteBytes": 0}"#)
        let id = TestSupport.uniqueSessionID("joined")
        _ = try await mock.start(TestSupport.spec(id))
        let stream = mock.openLogs(LogRequest(sessionId: id))
        await stream.waitUntilBuffered(10_000, atMost: .seconds(10))
        let first = await stream.next()
        guard case .data(_, let bytes)? = first else {
            Issue.record("expected data, got \(String(describing: first))")
            return
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count > 100, "one event carries many writes")
        #expect(lines.first?.hasSuffix(" line 1") == true)
        let (rest, end) = await stream.collect()
        #expect(end == nil)
        let all = String(decoding: bytes + rest, as: UTF8.self).split(separator: "\n")
        #expect(all.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } } == Array(1...500))
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }

    /// waitUntilBuffered returns when the bytes are there, or when its time is up, or at the end.
    @Test func waitUntilBufferedEndsOnBytesTimeoutOrEnd() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 0, "logIntervalMs": 60000}"#)
        let id = TestSupport.uniqueSessionID("fill")
        _ = try await mock.start(TestSupport.spec(id))
        let quiet = mock.openLogs(LogRequest(sessionId: id, follow: true))
        let began = ContinuousClock.now
        await quiet.waitUntilBuffered(1, atMost: .milliseconds(150))
        let waited = ContinuousClock.now - began
        #expect(waited >= .milliseconds(140) && waited < .seconds(5), "a quiet stream waits out the time: \(waited)")
        // A time so short that the timer may fire before the wait begins: it still ends.
        for _ in 0..<50 {
            let ended = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await quiet.waitUntilBuffered(1, atMost: .zero); return true }
                group.addTask { try? await Task.sleep(for: .seconds(5)); return false }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            #expect(ended, "a wait of no time returned")
        }
        quiet.cancel()
        let waitingAtEnd = Task { await quiet.waitUntilBuffered(1, atMost: .seconds(60)) }
        let endedAt = ContinuousClock.now
        _ = await quiet.collect()
        await waitingAtEnd.value
        #expect(ContinuousClock.now - endedAt < .seconds(10), "the end releases a waiting reader")
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
