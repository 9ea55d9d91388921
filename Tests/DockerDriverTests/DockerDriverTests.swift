import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// The Docker driver through the agent's host runtime, against the real Docker Engine, checked
/// with the docker CLI.
@Suite(.serialized, dockerTrait) struct DockerDriverTests {
    @Test func aStartedSessionIsAContainerBuiltFromTheSpecAndItsURLAnswers() async throws {
        let id = DockerTest.sessionID("spec")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver()
        // Characters a shell would act on: they must arrive as data.
        let tricky = "a b $HOME `id` \"q\" ; rm -rf / 'x'"
        let status = try await driver.start(try DockerTest.spec(id, env: ["GREETING": tricky]))
        #expect(status.state == .running)
        let endpoint = try #require(status.endpoints.first)
        #expect(endpoint.name == "vnc" && endpoint.port == 8080)
        let url = try #require(endpoint.url)
        #expect(url.hasPrefix("http://127.0.0.1:"))
        #expect(try await Probes.fetch(url).contains("streamspace session"))

        let inspect = try #require(try DockerTestEnvironment.inspect("ss-\(id)"))
        let config = try #require(inspect["Config"] as? [String: Any])
        let labels = try #require(config["Labels"] as? [String: String])
        #expect(labels["streamspace.io/managed"] == "true")
        #expect(labels["streamspace.io/session"] == id)
        #expect(labels["streamspace.io/user"] == "alice")
        #expect(labels["streamspace.io/template"] == "httpd")
        #expect((config["Env"] as? [String])?.contains("GREETING=\(tricky)") == true)
        #expect(try DockerTest.exec("ss-\(id)", "printf %s \"$GREETING\"") == tricky)

        let host = try #require(inspect["HostConfig"] as? [String: Any])
        #expect(host["Init"] as? Bool == true)
        #expect(host["Privileged"] as? Bool == false)
        #expect(host["NanoCpus"] as? Int == 250_000_000)
        #expect(host["Memory"] as? Int == 64 << 20)
        #expect(host["NetworkMode"] as? String == "streamspace")
        #expect((host["Binds"] as? [String] ?? []).isEmpty)
        let bindings = try #require((host["PortBindings"] as? [String: [[String: String]]])?["8080/tcp"])
        #expect(bindings.first?["HostIp"] == "127.0.0.1")
        let mounts = try #require(inspect["Mounts"] as? [[String: Any]])
        #expect(mounts.count == 1)
        #expect(mounts.first?["Type"] as? String == "volume")
        #expect(mounts.first?["Name"] as? String == "ss-\(id)-home")
        #expect(mounts.first?["Destination"] as? String == "/config")

        // Stop removes the container and keeps the home; a stop asking for it removes that too.
        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        #expect(try DockerTestEnvironment.containers(ofSession: id).isEmpty)
        #expect(try DockerTestEnvironment.inspect("ss-\(id)-home") != nil)
        #expect(try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true)).state == .terminated)
        #expect(try DockerTestEnvironment.inspect("ss-\(id)-home") == nil)
        await driver.destroy()
    }

    @Test func aSessionWithoutPersistentHomeHasNoVolume() async throws {
        let id = DockerTest.sessionID("nohome")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver()
        _ = try await driver.start(try DockerTest.spec(id, persistentHome: false))
        let inspect = try #require(try DockerTestEnvironment.inspect("ss-\(id)"))
        #expect((inspect["Mounts"] as? [Any] ?? []).isEmpty)
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    @Test func theOperatorChoosesThePublicURLAndTheTemplateChoosesTheHomePath() async throws {
        let id = DockerTest.sessionID("public")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver(config: #"{"publicHost": "desk.example.test", "publicScheme": "https"}"#)
        var spec = try DockerTest.spec(id)
        spec.template.volumeMounts = [.init(name: "home", mountPath: "/data/home")]
        let status = try await driver.start(spec)
        let url = try #require(status.endpoints.first?.url)
        #expect(url.hasPrefix("https://desk.example.test:"), "\(url)")
        let inspect = try #require(try DockerTestEnvironment.inspect("ss-\(id)"))
        let mounts = try #require(inspect["Mounts"] as? [[String: Any]])
        #expect(mounts.first?["Destination"] as? String == "/data/home")
        #expect(mounts.first?["Name"] as? String == "ss-\(id)-home")
        // Published on loopback all the same: the public name is for the URL only.
        let bindings = (inspect["HostConfig"] as? [String: Any])?["PortBindings"] as? [String: [[String: String]]]
        #expect(bindings?["8080/tcp"]?.first?["HostIp"] == "127.0.0.1")
        _ = try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true))
        await driver.destroy()
    }

    @Test func aDoubleStartLeavesOneContainer() async throws {
        let id = DockerTest.sessionID("double")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver()
        let spec = try DockerTest.spec(id)
        async let first = driver.start(spec)
        async let second = driver.start(spec)
        let (a, b) = try await (first, second)
        #expect(a.state == .running && b.state == .running)
        #expect(a.platformMetadata["containerId"] == b.platformMetadata["containerId"])
        let again = try await driver.start(spec)
        #expect(again.platformMetadata["containerId"] == a.platformMetadata["containerId"])
        #expect(try DockerTestEnvironment.containers(ofSession: id) == ["ss-\(id)"])
        _ = try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true))
        await driver.destroy()
    }

    @Test func sessionIDsDockerWouldRejectAreRefusedBeforeAnyCall() async throws {
        let driver = try await DockerTest.loadDriver()
        let since = String(Int(Date().timeIntervalSince1970) - 1)
        let bad = ["Alice", "a/b", "../etc", "a b", "-x", "x;rm", "ünï", String(repeating: "a", count: 101)]
        for id in bad {
            // Raw calls: past the host's own validation, straight to the driver.
            var spec = try DockerTest.spec("placeholder")
            spec.id = id
            let start = await driver.call(.start, JSONCoding.encode(spec))
            #expect(start.status == .invalidArgument, "start \(id): \(start.text)")
            for operation in [Driver.Operation.get, .hibernate, .wake, .sessionMetrics] {
                let reply = await driver.call(operation, Array(id.utf8))
                #expect(reply.status == .invalidArgument, "\(operation) \(id): \(reply.text)")
            }
            let stop = await driver.call(.stop, JSONCoding.encode(StopRequest(sessionId: id)))
            #expect(stop.status == .invalidArgument, "stop \(id): \(stop.text)")
        }
        // Docker saw nothing: no container or volume event in that window.
        let until = String(Int(Date().timeIntervalSince1970) + 1)
        let events = try DockerTestEnvironment.dockerOutput(
            ["events", "--since", since, "--until", until, "--filter", "label=streamspace.io/session=placeholder",
             "--format", "{{.Type}} {{.Action}}"])
        #expect(events.isEmpty, "docker events: \(events)")
        await driver.destroy()
    }

    @Test func aContainerThatDiesOrIsStoppedByHandIsReportedFailedWithTheReason() async throws {
        let killed = DockerTest.sessionID("killed"), stopped = DockerTest.sessionID("stopped")
        defer { DockerTest.cleanUp([killed, stopped]) }
        let driver = try await DockerTest.loadDriver()
        _ = try await driver.start(try DockerTest.spec(killed, persistentHome: false))
        _ = try await driver.start(try DockerTest.spec(stopped, persistentHome: false))
        try DockerTestEnvironment.dockerOutput(["kill", "ss-\(killed)"])
        try DockerTestEnvironment.dockerOutput(["stop", "-t", "5", "ss-\(stopped)"])

        let dead = try await driver.session(killed)
        #expect(dead.state == .failed)
        #expect(dead.message?.contains("exited with code 137") == true, "\(dead.message ?? "")")
        #expect(dead.message?.contains("not stopped by the agent") == true)
        let byHand = try await driver.session(stopped)
        #expect(byHand.state == .failed)
        #expect(byHand.message?.contains("ss-\(stopped) exited") == true, "\(byHand.message ?? "")")
        let listed = try await driver.sessions().filter { [killed, stopped].contains($0.sessionId) }
        #expect(listed.count == 2 && listed.allSatisfy { $0.state == .failed && $0.message != nil })

        // Starting a failed session again runs it again, in the same container.
        let restarted = try await driver.start(try DockerTest.spec(killed, persistentHome: false))
        #expect(restarted.state == .running)
        #expect(try DockerTestEnvironment.containers(ofSession: killed) == ["ss-\(killed)"])
        for id in [killed, stopped] { _ = try await driver.stop(StopRequest(sessionId: id)) }
        await driver.destroy()
    }

    @Test func aNewDriverFindsItsSessionsWithTheirStatesAndNeverTouchesOtherContainers() async throws {
        let running = DockerTest.sessionID("keep"), sleeping = DockerTest.sessionID("sleep")
        let bystander = "bystander-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        defer {
            DockerTest.cleanUp([running, sleeping])
            _ = try? DockerTestEnvironment.docker(["rm", "-f", bystander])
        }
        // A container this agent does not manage, even one that carries some StreamSpace label.
        try DockerTestEnvironment.dockerOutput(["run", "-d", "--name", bystander, "--label", "streamspace.io/managed=false",
                                                DockerTest.image])
        let first = try await DockerTest.loadDriver()
        _ = try await first.start(try DockerTest.spec(running))
        _ = try await first.start(try DockerTest.spec(sleeping))
        #expect(try await first.hibernate(sleeping).state == .hibernated)
        #expect(try DockerTest.isRunning("ss-\(sleeping).Hibernated") == false)
        await first.destroy()

        let second = try await DockerTest.loadDriver()
        let found = Dictionary(uniqueKeysWithValues: try await second.sessions().map { ($0.sessionId, $0) })
        #expect(found[running]?.state == .running)
        #expect(found[running]?.endpoints.first?.url != nil)
        #expect(found[sleeping]?.state == .hibernated)
        #expect(!found.values.contains { $0.platformMetadata["workloadName"] == .string(bystander) })
        #expect(try await second.wake(sleeping).state == .running)
        for id in [running, sleeping] { _ = try await second.stop(StopRequest(sessionId: id, deleteVolumes: true)) }
        #expect(try DockerTest.isRunning(bystander) == true)
        await second.destroy()
    }

    @Test func aMissingImageWithNoRegistryFailsClearlyWithinTheBound() async throws {
        let id = DockerTest.sessionID("noimage")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver(config: #"{"pullTimeoutSeconds": 20}"#)
        let clock = ContinuousClock()
        let began = clock.now
        let image = "registry.invalid/streamspace/nothing:1"
        let spec = try DockerTest.spec(id, image: image)
        do {
            _ = try await driver.start(spec)
            Issue.record("a start from an image no registry has succeeded")
        } catch {
            #expect([.unavailable, .notFound, .timeout].contains(error.code))
            #expect(error.message.contains("pulling \(image)"), "\(error.message)")
        }
        #expect(clock.now - began < .seconds(25))
        #expect(try DockerTestEnvironment.containers(ofSession: id).isEmpty)
        await driver.destroy()

        let noPull = try await DockerTest.loadDriver(config: #"{"pullMissingImages": false}"#)
        do {
            _ = try await noPull.start(spec)
            Issue.record("a start from a missing image succeeded with pulling off")
        } catch {
            #expect(error.code == .failedPrecondition && error.message.contains("pullMissingImages"), "\(error)")
        }
        await noPull.destroy()
    }

    @Test func anAbsentDaemonIsUnhealthyAndTheDriverRecoversWhenItAnswers() async throws {
        guard DockerTestEnvironment.host.hasPrefix("unix://") else { return }
        let realSocket = String(DockerTestEnvironment.host.dropFirst("unix://".count))
        let directory = NSTemporaryDirectory() + "docker-absent-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = directory + "/docker.sock"
        let driver = try await DockerTest.loadDriver(config: #"{"host": "unix://\#(socket)"}"#)

        let down = await driver.health()
        #expect(down.status == .unhealthy)
        #expect(down.detail?.contains("cannot reach Docker at unix://\(socket)") == true, "\(down.detail ?? "")")
        do {
            _ = try await driver.sessions()
            Issue.record("listing sessions without a daemon succeeded")
        } catch {
            #expect(error.code == .unavailable)
        }

        // The daemon "comes back" at that address.
        try FileManager.default.createSymbolicLink(atPath: socket, withDestinationPath: realSocket)
        let up = await driver.health()
        #expect(up.status == .healthy, "\(up.detail ?? "")")
        #expect(up.detail?.contains("API 1.4") == true)
        _ = try await driver.sessions()
        await driver.destroy()
    }

    @Test func configMistakesAreRefusedWhenTheDriverLoads() async throws {
        let cases: [(String, String)] = [
            (#"{"publishAdress": "0.0.0.0"}"#, "unknown config key \"publishAdress\""),
            (#"{"host": "ftp://example.com"}"#, "\"host\" must start with unix:// or tcp://"),
            (#"{"publishAddress": "example.com"}"#, "\"publishAddress\" must be an IPv4 or IPv6 address"),
            (#"{"pullTimeoutSeconds": "soon"}"#, "\"pullTimeoutSeconds\" must be a whole number"),
            (#"{"network": "bad name"}"#, "\"network\" must be a Docker name"),
            (#"{"network": "host"}"#, "\"network\" must be a network of the agent's own, not Docker's \"host\""),
            (#"[1]"#, "must be a JSON object"),
        ]
        for (config, expected) in cases {
            do {
                let driver = try await DockerTest.loadDriver(config: config)
                await driver.destroy()
                Issue.record("config \(config) was accepted")
            } catch {
                #expect("\(error)".contains(expected), "config \(config): \(error)")
            }
        }
    }

    @Test func logsSeparateStdoutFromStderrAndFollowDeliversLaterLines() async throws {
        let id = DockerTest.sessionID("logs")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver()
        _ = try await driver.start(try DockerTest.spec(id, persistentHome: false))
        // The image prints one line on each stream as it starts.
        var tail: [(Int32, String)] = []
        for _ in 0..<50 {
            tail = []
            for await event in driver.openLogs(LogRequest(sessionId: id)) {
                if case .data(let channel, let bytes) = event { tail.append((channel, String(decoding: bytes, as: UTF8.self))) }
            }
            if tail.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(tail.contains { $0.0 == 1 && $0.1.contains("session starting (stdout)") })
        #expect(tail.contains { $0.0 == 2 && $0.1.contains("session starting (stderr)") })

        // sinceTime: a time after every line gives nothing; one before the start gives them all.
        func lines(since: String) async -> Int {
            var count = 0
            for await event in driver.openLogs(LogRequest(sessionId: id, sinceTime: since)) {
                if case .data = event { count += 1 }
            }
            return count
        }
        #expect(await lines(since: RFC3339.format(seconds: Int64(Date().timeIntervalSince1970) + 3600)) == 0)
        #expect(await lines(since: RFC3339.format(seconds: Int64(Date().timeIntervalSince1970) - 3600)) >= 2)

        let follow = driver.openLogs(LogRequest(sessionId: id, follow: true, tailLines: 0))
        #expect(try await Probes.followDelivers(follow) { _ = try DockerTest.exec("ss-\(id)", "echo \($0) > /proc/1/fd/1") })
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    @Test func metricsAreTheDockerHostsAndTheContainersRealFigures() async throws {
        let id = DockerTest.sessionID("metrics")
        defer { DockerTest.cleanUp([id]) }
        let driver = try await DockerTest.loadDriver()
        _ = try await driver.start(try DockerTest.spec(id, persistentHome: false))
        let node = try await driver.nodeMetrics()
        #expect(node.cpuCores >= 1 && node.memoryBytes > 0 && node.memoryUsedBytes > 0)
        #expect(node.diskBytes > 0 && node.diskUsedBytes > 0 && node.diskUsedBytes <= node.diskBytes)
        let session = try await driver.sessionMetrics(id)
        #expect(session.memoryBytes == 64 << 20)
        #expect(session.memoryUsedBytes > 0 && session.memoryUsedBytes < session.memoryBytes)
        #expect(session.cpuUsedCores >= 0)
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }
}

/// Outside the suites above, which are skipped without Docker: when Scripts/test.sh requires it
/// (STREAMSPACE_REQUIRE_DOCKER=1), its absence fails here instead of skipping everything quietly.
@Suite struct DockerRequirement {
    @Test func dockerIsHereWhenTheSuiteRequiresIt() {
        #expect(DockerTestEnvironment.isAvailable || !DockerTestEnvironment.isRequired,
                "Scripts/test.sh requires Docker: \(DockerTestEnvironment.unavailableReason ?? "")")
    }
}
