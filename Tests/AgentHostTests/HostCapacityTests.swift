@testable import AgentHost
import DriverModel
import Synchronization
import Testing

/// How one host's capacity is shared between drivers (CapacitySplit), and the host-wide limit
/// every driver's link admits its starts through (HostCapacity).
@Suite struct CapacitySplitTests {
    typealias Figures = CapacitySplit.Figures
    let host = Figures(sessions: 10, cpuMillicores: 4000, memoryBytes: 8 << 30)

    @Test func withoutOverridesTheHostIsSplitEvenly() throws {
        let shares = try CapacitySplit.split(host: host, drivers: ["docker", "lxd"], overrides: [:]).get()
        #expect(shares == [Figures(sessions: 5, cpuMillicores: 2000, memoryBytes: 4 << 30),
                           Figures(sessions: 5, cpuMillicores: 2000, memoryBytes: 4 << 30)])
    }

    @Test func anUnevenSplitGivesTheRemainderToTheFirstAndNeverAddsUpToMore() throws {
        let odd = Figures(sessions: 10, cpuMillicores: 1000, memoryBytes: (1 << 30) + 12345)
        let shares = try CapacitySplit.split(host: odd, drivers: ["a", "b", "c"], overrides: [:]).get()
        #expect(shares.map(\.sessions) == [4, 3, 3])
        #expect(shares.map(\.cpuMillicores) == [334, 333, 333])
        // Whole MiB: 1024 MiB in three, the odd bytes left over.
        #expect(shares.map(\.memoryBytes) == [342 << 20, 341 << 20, 341 << 20])
        #expect(shares.map(\.memoryBytes).reduce(0, +) <= odd.memoryBytes)
    }

    @Test func aDriversOwnFigureIsTakenAndTheOthersShareTheRest() throws {
        let shares = try CapacitySplit.split(host: host, drivers: ["docker", "lxd", "mock"], overrides: [
            "docker": .init(sessions: 6, cpuMillicores: 3000), "lxd": .init(memoryBytes: 6 << 30),
        ]).get()
        #expect(shares.map(\.sessions) == [6, 2, 2])
        #expect(shares.map(\.cpuMillicores) == [3000, 500, 500])
        #expect(shares.map(\.memoryBytes) == [1 << 30, 6 << 30, 1 << 30])
    }

    @Test func figuresAddingUpToMoreThanTheHostAreRefusedEachOnItsLine() {
        let result = CapacitySplit.split(host: host, drivers: ["docker", "lxd"], overrides: [
            "docker": .init(sessions: 8, cpuMillicores: 3000), "lxd": .init(sessions: 4, cpuMillicores: 1500),
        ])
        guard case .failure(let error) = result else { Issue.record("more than the host was taken"); return }
        #expect(error.problems == [
            "--driver-max-sessions: the drivers' own figures add up to 12 (docker 8, lxd 4), more than this host's 10 (--max-sessions)",
            "--driver-max-cpu: the drivers' own figures add up to 4500m (docker 3, lxd 1500m), more than this host's 4 (--max-cpu)",
        ])
    }

    @Test func aDriverLeftWithNothingIsAProblem() {
        let result = CapacitySplit.split(host: host, drivers: ["docker", "lxd"], overrides: ["docker": .init(sessions: 10)])
        guard case .failure(let error) = result else { Issue.record("a driver was given no session"); return }
        #expect(error.problems == ["--max-sessions 10 leaves no share for driver lxd once the others take theirs: raise --max-sessions, or give it --driver-max-sessions lxd=…"])
    }
}

@Suite struct HostCapacityTests {
    static func spec(_ id: String, cpu: String = "1", memory: String = "1Gi") throws -> SessionSpec {
        SessionSpec(id: id, user: "alice", template: .init(image: "busybox"), resources: try .init(cpu: cpu, memory: memory))
    }

    /// A driver's active sessions, as its link's cache would have them.
    final class Active: Sendable {
        let ids = Mutex<Set<String>>([])
        func set(_ new: Set<String>) { ids.withLock { $0 = new } }
        var read: @Sendable () -> Set<String> { { self.ids.withLock { $0 } } }
    }

    let running = SessionStatus(sessionId: "x", state: .running)

    @Test func aStartBeyondTheHostsSessionsIsRefusedWithTheCountsAndNeverRuns() async throws {
        let capacity = HostCapacity(limits: .init(sessions: 3, cpuMillicores: 100_000, memoryBytes: 1 << 40))
        let docker = Active(), lxd = Active()
        capacity.attach(driver: "docker", activeSessions: docker.read)
        capacity.attach(driver: "lxd", activeSessions: lxd.read)
        docker.set(["d1", "d2"])   // found on the platform: they count
        lxd.set(["l1"])
        let ran = Mutex(false)
        let result = await capacity.admitting(try Self.spec("l2"), driver: "lxd") {
            ran.withLock { $0 = true }
            return .success(running)
        }
        #expect(ran.withLock { $0 } == false, "the driver is never called")
        guard case .failure(let error) = result else { Issue.record("admitted beyond the host"); return }
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "host limit: 3 sessions already run on this host (docker 2, lxd 1), and --max-sessions is 3")
        // A repeated start of a session already counted is not a new one.
        let again = await capacity.admitting(try Self.spec("d1"), driver: "docker") { .success(running) }
        #expect((try? again.get()) != nil)
    }

    @Test func cpuAndMemoryOfAdmittedStartsAddUpAcrossDrivers() async throws {
        let capacity = HostCapacity(limits: .init(sessions: 10, cpuMillicores: 2000, memoryBytes: 4 << 30))
        let docker = Active(), lxd = Active()
        capacity.attach(driver: "docker", activeSessions: docker.read)
        capacity.attach(driver: "lxd", activeSessions: lxd.read)
        #expect((try? await capacity.admitting(try Self.spec("d1", cpu: "1500m"), driver: "docker") { .success(running) }.get()) != nil)
        docker.set(["d1"])
        let cpu = await capacity.admitting(try Self.spec("l1", cpu: "1"), driver: "lxd") { .success(running) }
        guard case .failure(let error) = cpu else { Issue.record("CPU overbooked"); return }
        #expect(error.message.hasPrefix("host limit: 1000m of CPU more would exceed this host's 2000m (--max-cpu); sessions started here hold 1500m (docker 1500m"), "\(error.message)")
        let memory = await capacity.admitting(try Self.spec("l1", cpu: "500m", memory: "4Gi"), driver: "lxd") { .success(running) }
        guard case .failure(let memoryError) = memory else { Issue.record("memory overbooked"); return }
        #expect(memoryError.message.contains("4096Mi of memory more would exceed this host's 4096Mi"), "\(memoryError.message)")
        #expect((try? await capacity.admitting(try Self.spec("l1", cpu: "500m", memory: "3Gi"), driver: "lxd") { .success(running) }.get()) != nil)
        #expect(capacity.usage()["docker"] == .init(sessions: 1, cpuMillicores: 1500, memoryBytes: 1 << 30))
    }

    @Test func aStopOrAFailedStartFreesTheSlot() async throws {
        let capacity = HostCapacity(limits: .init(sessions: 1, cpuMillicores: 100_000, memoryBytes: 1 << 40))
        let docker = Active()
        capacity.attach(driver: "docker", activeSessions: docker.read)
        let failed = await capacity.admitting(try Self.spec("d1"), driver: "docker") { .failure(DriverError(.notFound, "no image")) }
        #expect((try? failed.get()) == nil)
        #expect(capacity.usage()["docker"]?.sessions == 0, "a start that failed holds nothing")

        #expect((try? await capacity.admitting(try Self.spec("d2"), driver: "docker") { .success(running) }.get()) != nil)
        // Counted before its link's cache has it…
        #expect(capacity.usage()["docker"]?.sessions == 1)
        let full = await capacity.admitting(try Self.spec("d3"), driver: "docker") { .success(running) }
        #expect((try? full.get()) == nil)
        // …and after; a stop takes it out of the cache, which frees the slot.
        docker.set(["d2"])
        #expect(capacity.usage()["docker"]?.sessions == 1)
        docker.set([])
        #expect(capacity.usage()["docker"]?.sessions == 0)
        #expect((try? await capacity.admitting(try Self.spec("d3"), driver: "docker") { .success(running) }.get()) != nil)
    }

    @Test func aStartNeverSeenInTheCacheIsLetGoAfterTheGrace() async throws {
        let capacity = HostCapacity(limits: .init(sessions: 1, cpuMillicores: 100_000, memoryBytes: 1 << 40),
                                    settleGrace: .milliseconds(50))
        capacity.attach(driver: "docker", activeSessions: { [] })
        #expect((try? await capacity.admitting(try Self.spec("d1"), driver: "docker") { .success(running) }.get()) != nil)
        #expect(capacity.usage()["docker"]?.sessions == 1)
        try await Task.sleep(for: .milliseconds(100))
        #expect(capacity.usage()["docker"]?.sessions == 0)
    }

    @Test func startsInFlightCountForConcurrentStarts() async throws {
        let capacity = HostCapacity(limits: .init(sessions: 1, cpuMillicores: 100_000, memoryBytes: 1 << 40))
        capacity.attach(driver: "docker", activeSessions: { [] })
        let (entered, enteredSink) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSink) = AsyncStream.makeStream(of: Void.self)
        let spec = try Self.spec("d1"), status = running
        let first = Task {
            await capacity.admitting(spec, driver: "docker") {
                enteredSink.yield()
                for await _ in release { break }
                return .success(status)
            }
        }
        for await _ in entered { break }
        let second = await capacity.admitting(try Self.spec("d2"), driver: "docker") { .success(running) }
        #expect((try? second.get()) == nil, "the start in flight holds its slot")
        releaseSink.yield()
        #expect((try? await first.value.get()) != nil)
    }
}
