@testable import AgentHost
import ControlPlaneProtocol
import DriverModel
import Logging
import Testing

/// A command that ends while the link is down still gets its answer: its verdict waits for the
/// next connection. Nothing else does (the true state is reported on connect anyway).
@Suite struct OutboxVerdictTests {
    @Test func verdictsWaitForTheNextConnectionAndNothingElseDoes() async throws {
        let outbox = Outbox(logger: Logger(label: "verdicts"))
        var generation = outbox.attach()
        // Queued but not yet written when the link drops.
        outbox.send(AgentMessage.complete(commandId: "cmd-1", result: [:]))
        outbox.send(AgentMessage.heartbeat(activeSessions: 0, capacity: .init(maxSessions: 1, cpu: "1", memory: "1Gi")))
        outbox.detach()
        // Sent while the link is down.
        outbox.send(AgentMessage.ack(commandId: "cmd-2"))
        outbox.send(AgentMessage.status(sessionId: "s", state: "running", vncReady: false, vncPort: 0, platformMetadata: [:]))
        outbox.send(AgentMessage.failed(commandId: "cmd-2", error: "no"))
        generation = outbox.attach()
        var delivered: [String] = []
        while let (item, _) = outbox.nextReady(generation: generation), let message = item.message {
            delivered.append("\(message.type) \(message.payload["commandId"]?.stringValue ?? "")")
        }
        #expect(delivered == ["complete cmd-1", "failed cmd-2"])
        // Delivered once: another reconnect has nothing to repeat.
        outbox.detach()
        generation = outbox.attach()
        #expect(outbox.nextReady(generation: generation) == nil)
    }

    @Test func atMostTheHeldLimitWaits() {
        let outbox = Outbox(logger: Logger(label: "verdicts"))
        for index in 0..<(Outbox.heldLimit + 10) { outbox.send(AgentMessage.failed(commandId: "cmd-\(index)", error: "x")) }
        let generation = outbox.attach()
        #expect(outbox.nextReady(generation: generation)?.0.message?.payload["commandId"] == .string("cmd-10"), "the oldest went first")
        #expect(outbox.heldMessages == Outbox.heldLimit - 1)
    }
}
