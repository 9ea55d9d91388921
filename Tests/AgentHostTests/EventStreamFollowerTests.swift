import PlatformKit
import Synchronization
import Testing

/// A platform's event stream is opened again whenever it ends or fails, ever later apart until
/// one opens, and not after the follower's task is cancelled.
@Suite struct EventStreamFollowerTests {
    struct Dropped: Error {}

    @Test func aStreamThatFailsOrEndsIsOpenedAgainWithBackoffThatStartsOverOnceOneOpens() async {
        let attempts = Mutex(0)
        let delays = Mutex<[Duration]>([])
        let follower = Task {
            await EventStreamFollower.follow(initialDelay: .milliseconds(1), maxDelay: .milliseconds(4), ended: { _, delay in
                delays.withLock { $0.append(delay) }
            }, stream: { opened in
                let attempt = attempts.withLock { count in count += 1; return count }
                // Three refusals (the daemon is restarting), then a stream that opens and drops.
                if attempt <= 3 { throw Dropped() }
                opened()
                if attempt >= 6 { try await Task.sleep(for: .seconds(60)) }
            })
        }
        while attempts.withLock({ $0 }) < 6 { try? await Task.sleep(for: .milliseconds(5)) }
        follower.cancel()
        await follower.value
        let seen = delays.withLock { $0 }
        #expect(Array(seen.prefix(5)) == [.milliseconds(1), .milliseconds(2), .milliseconds(4), .milliseconds(1), .milliseconds(1)],
                "doubling to the cap while refused, back to the start after each stream that opened: \(seen)")
        #expect(attempts.withLock { $0 } == 6, "nothing opened after the cancel")
    }
}
