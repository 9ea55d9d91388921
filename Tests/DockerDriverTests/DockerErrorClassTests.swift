import AgentHost
import AgentTestSupport
import DriverModel
import Testing

/// What the real Docker refuses for good comes back as a permanent error (never retried), and
/// what may pass (a registry that is not there) as a temporary one.
@Suite(.serialized, dockerTrait) struct DockerErrorClassTests {
    /// The error a start of `spec` ends with; nil (and an issue) if it started.
    static func refusal(of spec: SessionSpec, config: String = "{}") async throws -> DriverError? {
        let driver = try await DockerTest.loadDriver(config: config)
        var refusal: DriverError?
        do {
            _ = try await driver.start(spec)
            Issue.record("Docker took what it should refuse: \(spec.template.image), cpu \(spec.resources.cpu)")
        } catch {
            refusal = error
        }
        await driver.destroy()
        return refusal
    }

    @Test func anImageReferenceDockerRefusesIsPermanent() async throws {
        let id = DockerTest.sessionID("badref")
        defer { DockerTest.cleanUp([id]) }
        let error = try await Self.refusal(of: try DockerTest.spec(id, persistentHome: false, image: "StreamSpace/Upper:1"))
        #expect(error?.code == .invalidArgument && error?.isRetryable == false, "\(String(describing: error))")
        #expect(error?.message.contains("invalid reference format") == true, "\(String(describing: error))")
    }

    @Test func moreCPUThanTheHostHasIsPermanent() async throws {
        let id = DockerTest.sessionID("bigcpu")
        defer { DockerTest.cleanUp([id]) }
        var spec = try DockerTest.spec(id, persistentHome: false)
        spec.resources = try .init(cpu: "4096", memory: "64Mi")
        let error = try await Self.refusal(of: spec)
        #expect(error?.code == .invalidArgument && error?.isRetryable == false, "\(String(describing: error))")
        #expect(error?.message.contains("Range of CPUs") == true, "\(String(describing: error))")
        #expect(try DockerTestEnvironment.containers(ofSession: id).isEmpty)
    }

    @Test func aRegistryThatDoesNotAnswerIsTemporary() async throws {
        let id = DockerTest.sessionID("noregistry")
        defer { DockerTest.cleanUp([id]) }
        let error = try await Self.refusal(of: try DockerTest.spec(id, persistentHome: false, image: "127.0.0.1:1/streamspace/nothing:1"))
        #expect(error?.code == .unavailable && error?.isRetryable == true, "\(String(describing: error))")
        #expect(error?.message.contains("connection refused") == true, "\(String(describing: error))")
    }
}
