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

    static func status(_ id: String, _ state: SessionState) -> SessionStatus { SessionStatus(sessionId: id, state: state) }

    /// Two drivers' links, each with its cache (what the link records of its sessions).
    static func host(sessions: Int, cpu: Int64 = 100_000, memory: Int64 = 1 << 40) -> (HostCapacity, docker: SessionCache, lxd: SessionCache) {
        let capacity = HostCapacity(limits: .init(sessions: sessions, cpuMillicores: cpu, memoryBytes: memory))
        let docker = SessionCache(), lxd = SessionCache()
        capacity.attach(driver: "docker", sessions: docker)
        capacity.attach(driver: "lxd", sessions: lxd)
        return (capacity, docker, lxd)
    }

    /// A start the driver answers `running`, recorded by the link as its executor does.
    static func start(_ id: String, on driver: String, _ capacity: HostCapacity, _ cache: SessionCache,
                      cpu: String = "1", memory: String = "1Gi") async throws -> DriverError? {
        let result = await capacity.admitting(try spec(id, cpu: cpu, memory: memory), driver: driver) { .success(status(id, .running)) }
        switch result {
        case .success(let status):
            cache.update(status)
            return nil
        case .failure(let error):
            return error
        }
    }

    @Test func aStartBeyondTheHostsSessionsIsRefusedWithTheCountsAndNeverRuns() async throws {
        let (capacity, docker, lxd) = Self.host(sessions: 3)
        // Found on the platform (a restarted agent's re-read): they count.
        docker.replaceAll([Self.status("d1", .running), Self.status("d2", .starting), Self.status("d3", .hibernated)])
        lxd.replaceAll([Self.status("l1", .running)])
        let ran = Mutex(false)
        let result = await capacity.admitting(try Self.spec("l2"), driver: "lxd") {
            ran.withLock { $0 = true }
            return .success(Self.status("l2", .running))
        }
        #expect(ran.withLock { $0 } == false, "the driver is never called")
        guard case .failure(let error) = result else { Issue.record("admitted beyond the host"); return }
        #expect(error.code == .resourceExhausted)
        #expect(error.message == "host limit: 3 sessions already run on this host (docker 2, lxd 1), and --max-sessions is 3")
        // A repeated start of a session already counted is not a new one.
        #expect(try await Self.start("d1", on: "docker", capacity, docker) == nil)
    }

    @Test func cpuAndMemoryOfAdmittedStartsAddUpAcrossDrivers() async throws {
        let (capacity, docker, lxd) = Self.host(sessions: 10, cpu: 2000, memory: 4 << 30)
        #expect(try await Self.start("d1", on: "docker", capacity, docker, cpu: "1500m") == nil)
        let cpu = try await Self.start("l1", on: "lxd", capacity, lxd, cpu: "1")
        #expect(cpu?.message.hasPrefix("host limit: 1000m of CPU more would exceed this host's 2000m (--max-cpu); sessions started here hold 1500m (docker 1500m") == true,
                "\(String(describing: cpu))")
        let memory = try await Self.start("l1", on: "lxd", capacity, lxd, cpu: "500m", memory: "4Gi")
        #expect(memory?.message.contains("4096Mi of memory more would exceed this host's 4096Mi") == true, "\(String(describing: memory))")
        #expect(try await Self.start("l1", on: "lxd", capacity, lxd, cpu: "500m", memory: "3Gi") == nil)
        #expect(capacity.usage()["docker"] == .init(sessions: 1, cpuMillicores: 1500, memoryBytes: 1 << 30))
    }

    @Test func aStopOrAFailedStartFreesTheSlotAtOnce() async throws {
        let (capacity, docker, _) = Self.host(sessions: 1)
        let failed = await capacity.admitting(try Self.spec("d1"), driver: "docker") { .failure(DriverError(.notFound, "no image")) }
        #expect((try? failed.get()) == nil)
        #expect(capacity.usage()["docker"]?.sessions == 0, "a start that failed holds nothing")

        // Counted from the moment the start is over, before its link has recorded it…
        let started = await capacity.admitting(try Self.spec("d2"), driver: "docker") { .success(Self.status("d2", .running)) }
        #expect(capacity.usage()["docker"]?.sessions == 1)
        #expect(try await Self.start("d3", on: "docker", capacity, docker) != nil, "full")
        docker.update(try started.get())
        #expect(capacity.usage()["docker"]?.sessions == 1)
        // …and free again as soon as a stop is recorded: another start fits at once.
        docker.update(Self.status("d2", .terminated))
        #expect(capacity.usage()["docker"]?.sessions == 0)
        #expect(try await Self.start("d3", on: "docker", capacity, docker) == nil)
        // A session that failed or was hibernated no longer holds a slot either.
        docker.update(Self.status("d3", .failed))
        #expect(try await Self.start("d4", on: "docker", capacity, docker) == nil)
    }

    /// Start, stop, start, … in quick succession (as a benchmark does): each stop frees its slot,
    /// though no start looked while the session ran.
    @Test func quickStartStopRoundsNeverPileUp() async throws {
        let (capacity, docker, _) = Self.host(sessions: 1, cpu: 1000)
        for round in 0..<5 {
            #expect(try await Self.start("d\(round)", on: "docker", capacity, docker, cpu: "1") == nil, "round \(round)")
            docker.update(Self.status("d\(round)", .terminated))
        }
    }

    @Test func startsInFlightCountForConcurrentStarts() async throws {
        let (capacity, docker, _) = Self.host(sessions: 1)
        let (entered, enteredSink) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSink) = AsyncStream.makeStream(of: Void.self)
        let spec = try Self.spec("d1")
        let first = Task {
            await capacity.admitting(spec, driver: "docker") {
                enteredSink.yield()
                for await _ in release { break }
                return .success(Self.status("d1", .running))
            }
        }
        for await _ in entered { break }
        #expect(try await Self.start("d2", on: "docker", capacity, docker) != nil, "the start in flight holds its slot")
        releaseSink.yield()
        #expect((try? await first.value.get()) != nil)
    }
}
