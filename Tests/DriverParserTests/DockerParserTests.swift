import DockerDriver
import DriverModel
import Testing

/// The Docker driver's parsers on Docker's real answers (Tests/Fixtures/docker, captured from
/// dockerd 20.10 at API 1.41 by capture.sh there).
@Suite struct DockerParserTests {
    static func json(_ file: String) throws -> JSONValue { try Captures.json("docker", file) }

    @Test func theContainerListReadsAsThreeSessions() throws {
        let records = try #require(try Self.json("containers-list.json").arrayValue).compactMap(ContainerRecord.init(listEntry:))
        let bySession = Dictionary(uniqueKeysWithValues: records.map { ($0.sessionID, $0) })
        #expect(bySession.keys.sorted() == ["fixture-exited", "fixture-hibernated", "fixture-running"])

        let running = try #require(bySession["fixture-running"])
        #expect(running.name == "ss-fixture-running")
        #expect(running.publishedPorts == ["8080/tcp": 32768])
        let status = running.status(publicScheme: "http", publicHost: "127.0.0.1")
        #expect(status.state == .running)
        #expect(status.endpoints == [Endpoint(name: "vnc", port: 8080, url: "http://127.0.0.1:32768")])

        #expect(bySession["fixture-exited"]?.status(publicScheme: "http", publicHost: "h").state == .failed)
        #expect(bySession["fixture-hibernated"]?.isHibernated == true)
        #expect(bySession["fixture-hibernated"]?.status(publicScheme: "http", publicHost: "h").state == .hibernated)
    }

    @Test func aRunningContainersInspectHasItsPublishedPort() throws {
        let record = try #require(ContainerRecord(inspect: try Self.json("container-inspect-running.json")))
        #expect(record.sessionID == "fixture-running")
        #expect(record.state == "running")
        #expect(record.exitCode == 0)
        #expect(record.labels["streamspace.io/user"] == "alice")
        #expect(record.status(publicScheme: "https", publicHost: "::1").endpoints
            == [Endpoint(name: "vnc", port: 8080, url: "https://[::1]:32768")])
    }

    @Test func anExitedContainerSaysWhyItStopped() throws {
        let record = try #require(ContainerRecord(inspect: try Self.json("container-inspect-exited.json")))
        #expect(record.state == "exited")
        #expect(record.exitCode == 3)
        #expect(record.finishedAt?.hasPrefix("20") == true)
        let status = record.status(publicScheme: "http", publicHost: "h")
        #expect(status.state == .failed)
        let message = try #require(status.message)
        #expect(message.hasPrefix("container ss-fixture-exited exited with code 3 at "), "\(message)")
        #expect(message.hasSuffix("; it was not stopped by the agent"))
    }

    @Test func aHibernatedContainerIsHibernatedNotFailed() throws {
        let record = try #require(ContainerRecord(inspect: try Self.json("container-inspect-hibernated.json")))
        #expect(record.name == "ss-fixture-hibernated.Hibernated")
        #expect(record.state == "created")
        #expect(record.status(publicScheme: "http", publicHost: "h").state == .hibernated)
    }

    @Test func aContainerWithoutTheSessionLabelIsNotASession() throws {
        guard case .object(var inspect) = try Self.json("container-inspect-running.json"),
              case .object(var config)? = inspect["Config"], case .object(var labels)? = config["Labels"] else {
            Issue.record("the capture has no Config.Labels")
            return
        }
        labels["streamspace.io/session"] = nil
        config["Labels"] = .object(labels)
        inspect["Config"] = .object(config)
        #expect(ContainerRecord(inspect: .object(inspect)) == nil)
    }

    @Test func theEventStreamYieldsTheStartsDeathsAndRemovalsOfSessions() throws {
        let lines = try Captures.bytes("docker", "events.jsonl").split(separator: UInt8(ascii: "\n")).map(Array.init)
        #expect(lines.count == 9)
        let events = lines.compactMap(DockerEvent.init(line:)).map { "\($0.action) \($0.sessionID)" }
        // create and kill are not news; the state is read again on each of these.
        #expect(events == ["start fixture-running", "start fixture-exited", "die fixture-exited",
                           "die fixture-running", "destroy fixture-exited"])
    }

    @Test func theMultiplexedLogStreamSplitsIntoStdoutAndStderr() throws {
        let stream = try Captures.bytes("docker", "logs-multiplexed.bin")
        var whole = LogDemultiplexer()
        let frames = try whole.feed(stream).map { "\($0.0): \(String(decoding: $0.1, as: UTF8.self))" }
        #expect(frames == ["stdout: to stdout\nagain stdout\n", "stderr: to stderr\n"])
        #expect(whole.leftover == 0)

        // Byte by byte, as a slow transport cuts it: the same bytes per stream.
        var cut = LogDemultiplexer()
        var stdout: [UInt8] = [], stderr: [UInt8] = []
        for byte in stream {
            for (kind, payload) in try cut.feed([byte]) {
                if kind == .stdout { stdout += payload } else { stderr += payload }
            }
        }
        #expect(String(decoding: stdout, as: UTF8.self) == "to stdout\nagain stdout\n")
        #expect(String(decoding: stderr, as: UTF8.self) == "to stderr\n")
    }
}
