@testable import DriverSDK
import DriverModel
import Synchronization
import Testing

/// The SDK's asynchronous driver start: one preparation for every caller, tried again after a
/// failure that can pass, final after one that cannot.
@Suite struct PreparationGateTests {
    @Test func concurrentCallersShareOnePreparation() async throws {
        let calls = Atomic<Int>(0)
        let gate = PreparationGate { calls.add(1, ordering: .relaxed); try await Task.sleep(for: .milliseconds(20)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { try await gate.wait() } }
            try await group.waitForAll()
        }
        try await gate.wait()
        #expect(calls.load(ordering: .relaxed) == 1)
    }

    @Test func aRetryableFailureIsTriedAgain() async throws {
        let calls = Atomic<Int>(0)
        let gate = PreparationGate {
            if calls.add(1, ordering: .relaxed).newValue == 1 {
                throw DriverError(.unavailable, "platform not up yet")
            }
        }
        await #expect(throws: DriverError.self) { try await gate.wait() }
        try await gate.wait()
        #expect(calls.load(ordering: .relaxed) == 2)
    }

    @Test func aPermanentFailureIsFinal() async throws {
        let calls = Atomic<Int>(0)
        let gate = PreparationGate {
            calls.add(1, ordering: .relaxed)
            throw DriverError(.failedPrecondition, "401: the token was refused")
        }
        for _ in 0..<3 {
            do {
                try await gate.wait()
                Issue.record("a failed preparation let an operation through")
            } catch {
                #expect(error.code == .failedPrecondition)
                #expect(error.message.contains("401"))
            }
        }
        #expect(calls.load(ordering: .relaxed) == 1)
    }
}
