import DriverModel
import LXDDriver
import Testing

/// The LXD driver's parsers on LXD's real answers (Tests/Fixtures/lxd, captured from LXD 5.0
/// by capture.sh there).
@Suite struct LXDParserTests {
    static func metadata(_ file: String) throws -> JSONValue {
        let body = try Captures.json("lxd", file)
        return try #require(body["metadata"], "\(file) has metadata")
    }

    /// What waiting on an operation makes of an answer (HTTP 200, as LXD's /wait answers).
    static func outcome(_ file: String, _ what: String) throws -> JSONValue? {
        try LXDClient.operationOutcome(status: 200, body: try Captures.json("lxd", file), fallback: "failed",
                                       what: what, timeout: .seconds(60))
    }

    static func sessions(_ file: String) throws -> [String: InstanceRecord] {
        let records = try #require(try metadata(file).arrayValue).compactMap { InstanceRecord($0) }
        return Dictionary(uniqueKeysWithValues: records.map { ($0.sessionID, $0) })
    }

    @Test func aRecursiveListWithStateReadsAsSessions() throws {
        let sessions = try Self.sessions("instances-recursion-2.json")
        let running = try #require(sessions["fixture-running"])
        #expect(running.name == "ss-fixture-running")
        #expect(running.isRunning)
        #expect(running.listenPorts == ["vnc": 39521])
        #expect((running.memoryUsage ?? 0) > 0)
        #expect((running.cpuUsageNanoseconds ?? 0) > 0)
        #expect(running.status(publicScheme: "http", publicHost: "127.0.0.1").endpoints
            == [Endpoint(name: "vnc", port: 8080, url: "http://127.0.0.1:39521")])

        let stopped = try #require(sessions["fixture-stopped"])
        #expect(stopped.isHibernated)
        #expect(stopped.status(publicScheme: "http", publicHost: "h").state == .hibernated)
    }

    @Test func aListWithoutStateTakesTheInstancesOwnStatus() throws {
        let sessions = try Self.sessions("instances-recursion-1.json")
        #expect(sessions["fixture-running"]?.status == "Running")
        #expect(sessions["fixture-running"]?.memoryUsage == nil)
        #expect(sessions["fixture-stopped"]?.status == "Stopped")
    }

    @Test func anInstanceWithItsStateReadsAsARunningSession() throws {
        let record = try #require(InstanceRecord(try Self.metadata("instance-running.json"),
                                                 state: try Self.metadata("instance-state-running.json")))
        #expect(record.status(publicScheme: "http", publicHost: "h").state == .running)
        #expect(record.memoryUsage == 425_984)
        #expect(record.cpuUsageNanoseconds == 13_318_069)
        #expect(record.config["user.streamspace.template"] == "firefox")

        // The same instance stopped, without the hibernated key: failed, saying so.
        guard case .object(var instance) = try Self.metadata("instance-running.json"),
              case .object(var config)? = instance["config"] else { Issue.record("no config"); return }
        config["user.streamspace.state"] = .string("running")
        instance["config"] = .object(config)
        let stopped = try #require(InstanceRecord(.object(instance), state: try Self.metadata("instance-state-stopped.json")))
        let status = stopped.status(publicScheme: "http", publicHost: "h")
        #expect(status.state == .failed)
        #expect(status.message == "instance ss-fixture-running stopped, and not by the agent")
    }

    @Test func anInstanceTheAgentDidNotMakeIsNotASession() throws {
        guard case .object(var instance) = try Self.metadata("instance-running.json"),
              case .object(var config)? = instance["config"] else { Issue.record("no config"); return }
        config["user.streamspace.managed"] = nil
        instance["config"] = .object(config)
        #expect(InstanceRecord(.object(instance)) == nil)
    }

    @Test func aSucceededOperationGivesItsResult() throws {
        let result = try Self.outcome("operation-wait-success.json", "creating")
        #expect(result?["progress"]?["percent"] == .string("100"))
    }

    @Test(arguments: [
        ("operation-wait-failure.json", "Error occurred when starting proxy device: "),
        ("operation-wait-failure-exists.json", #"Failed creating instance record: Add instance info to the database: This "instances" entry already exists"#),
    ])
    func aFailedOperationSaysWhy(_ file: String, _ fragment: String) throws {
        #expect {
            try Self.outcome(file, "starting")
        } throws: { error in
            (error as? DriverError)?.message.contains(fragment) == true
        }
    }

    @Test func anOperationStillRunningAtTheBoundIsATimeout() throws {
        // The async answer's own metadata: status_code 103, Running.
        #expect {
            try Self.outcome("operation-async-create.json", "creating")
        } throws: { error in
            (error as? DriverError)?.code == .timeout
        }
    }
}
