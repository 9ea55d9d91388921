@testable import AgentHost
import ControlPlaneProtocol
import DriverModel
import Logging
import Testing

/// What the agent has sent or handed on, it lets go of: an agent that had streamed 30 MB of logs
/// once held 15 MB more for good, in the queues' already-consumed slots.
@Suite struct RetentionTests {
    @Test func theOutboxHoldsNothingItHasHandedToTheWriter() async throws {
        let outbox = Outbox(logger: Logger(label: "retention"), bulkLimit: 1 << 20)
        let generation = outbox.attach()
        let chunk = String(repeating: "x", count: 1000)
        for index in 0..<600 {
            outbox.send(Message(type: "status", payload: .object(["n": .int(Int64(index))])))
            let queued = await outbox.sendBulk(Message(type: "log_chunk", payload: .object(["data": .string(chunk)])), bytes: 1000)
            #expect(queued)
        }
        #expect(outbox.heldMessages == 1200)
        for _ in 0..<1200 {
            let (_, cost) = try #require(await outbox.next(generation: generation))
            outbox.release(cost)
        }
        #expect(outbox.heldMessages == 0)
    }

    @Test func aLogStreamHoldsNoEventItsReaderTook() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"logLines": 600, "logWriteBytes": 0}"#)
        let id = TestSupport.uniqueSessionID("held")
        _ = try await mock.start(TestSupport.spec(id))
        // A reader that keeps up takes every line as its own event.
        let stream = mock.openLogs(LogRequest(sessionId: id))
        var events = 0
        while let event = await stream.next() {
            events += 1
            if case .end = event { break }
        }
        #expect(events > 1)
        #expect(stream.heldEvents == 0)
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }
}
