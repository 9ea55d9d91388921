import AgentHost
import DriverModel
import Foundation
import Testing

/// A C driver and two Swift drivers in one agent process. Each Swift driver carries its own copy
/// of DriverSDK; this test process carries a third. Were symbols interposed across them, a
/// driver would build the wrong type or share another's state.
@Suite struct MixedDriversTests {
    @Test func eachDriverKeepsItsOwnIdentityAndState() async throws {
        let mock = try await TestSupport.driver("mock")
        let sample = try await TestSupport.driver("sample")
        let twin = try await TestSupport.driver("twin")
        #expect([mock.description.name, sample.description.name, twin.description.name] == ["mock", "sample", "twin"])
        #expect(twin.description.platform == "cloud")

        let id = TestSupport.uniqueSessionID("mixed")
        async let onMock = mock.start(TestSupport.spec(id))
        async let onSample = sample.start(TestSupport.spec(id))
        async let onTwin = twin.start(TestSupport.spec(id))
        let statuses = try await [onMock, onSample, onTwin]
        #expect(statuses.allSatisfy { $0.sessionId == id && $0.state == .running })
        #expect(statuses[2].endpoints.first?.url == "http://twin.invalid:8080")
        #expect(statuses[1].platformMetadata["workloadName"] == .string("sample-\(id)"))

        // Stopping on one platform leaves the others' sessions alone.
        _ = try await sample.stop(StopRequest(sessionId: id))
        await #expect(throws: DriverError.self) { try await sample.session(id) }
        #expect(try await mock.session(id).state == .running)
        #expect(try await twin.session(id).state == .running)
        _ = try await mock.stop(StopRequest(sessionId: id))
        _ = try await twin.stop(StopRequest(sessionId: id))
        for driver in [mock, sample, twin] { await driver.destroy() }
    }

    @Test func concurrentOperationsAcrossDrivers() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"startDelayMs": 50, "stopDelayMs": 20}"#)
        let sample = try await TestSupport.driver("sample", config: #"{"startDelayMs": 50}"#)
        let ids = (0..<16).map { _ in TestSupport.uniqueSessionID("many") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in ids.enumerated() {
                let driver = index.isMultiple(of: 2) ? mock : sample
                group.addTask {
                    _ = try await driver.start(TestSupport.spec(id))
                    _ = try await driver.hibernate(id)
                    let woken = try await driver.wake(id)
                    #expect(woken.state == .running && !woken.endpoints.isEmpty)
                    _ = try await driver.nodeMetrics()
                    _ = try await driver.stop(StopRequest(sessionId: id))
                }
            }
            try await group.waitForAll()
        }
        let leftMock = try await mock.sessions().map(\.sessionId)
        let leftSample = try await sample.sessions().map(\.sessionId)
        #expect(Set(leftMock + leftSample).isDisjoint(with: ids))
        #expect(mock.violations.isEmpty && sample.violations.isEmpty)
        await mock.destroy()
        await sample.destroy()
    }

    /// Blocking driver calls run on threads of their own: four one-second starts overlap
    /// instead of queueing behind one another (serially they would take four seconds).
    @Test func blockingCallsRunInParallel() async throws {
        let mock = try await TestSupport.driver("mock", config: #"{"startDelayMs": 1000}"#)
        let ids = (0..<4).map { _ in TestSupport.uniqueSessionID("slow") }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { _ = try await mock.start(TestSupport.spec(id)) } }
            try await group.waitForAll()
        }
        #expect(ContinuousClock.now - started < .milliseconds(3500))
        for id in ids { _ = try await mock.stop(StopRequest(sessionId: id)) }
        await mock.destroy()
    }

    @Test func hostRejectsInvalidInputBeforeCallingTheDriver() async throws {
        let mock = try await TestSupport.driver("mock")
        var spec = TestSupport.spec("ok-id")
        spec.id = "rm -rf /"
        await #expect(throws: DriverError.self) { try await mock.start(spec) }
        await #expect(throws: DriverError.self) { try await mock.session("../etc") }
        #expect(try await mock.sessions().allSatisfy { $0.sessionId != "rm -rf /" })
        await mock.destroy()
    }

    @Test func driverObservedChangesReachTheHost() async throws {
        let mock = try await TestSupport.driver("mock")
        #expect(mock.capabilities.contains(.sessionEvents))
        let changes = AsyncStream<SessionStatus>.makeStream()
        mock.onSessionChanged { changes.continuation.yield($0) }
        let id = TestSupport.uniqueSessionID("crash")
        _ = try await mock.start(TestSupport.spec(id, labels: ["mock.crashAfterMs": "100"]))
        var iterator = changes.stream.makeAsyncIterator()
        let change = await iterator.next()
        #expect(change?.sessionId == id && change?.state == .failed)
        #expect(try await mock.session(id).state == .failed)
        _ = try await mock.stop(StopRequest(sessionId: id))
        await mock.destroy()
    }
}
