import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// The LXD driver through the agent's host runtime, against a real LXD, checked with lxc.
@Suite(.serialized, lxdTrait) struct LXDDriverTests {
    @Test func aStartedSessionIsAnInstanceBuiltFromTheSpecAndItsURLAnswers() async throws {
        let id = LXDTest.sessionID("spec")
        defer { LXDTest.cleanUp([id]) }
        let driver = try await LXDTest.loadDriver()
        let status = try await driver.start(try LXDTest.spec(id))
        #expect(status.state == .running)
        let endpoint = try #require(status.endpoints.first)
        #expect(endpoint.name == "vnc" && endpoint.port == 8080)
        let url = try #require(endpoint.url)
        #expect(url.hasPrefix("http://127.0.0.1:2"))
        #expect(try await Probes.fetch(url).contains("streamspace session"))

        let instance = try #require(try LXDTestEnvironment.instance(ofSession: id))
        #expect(instance["name"] as? String == "ss-\(id)")
        #expect(instance["status"] as? String == "Running")
        #expect(instance["profiles"] as? [String] == ["default"])
        let config = try #require(instance["config"] as? [String: String])
        #expect(config["user.streamspace.managed"] == "true")
        #expect(config["user.streamspace.user"] == "alice")
        #expect(config["user.streamspace.template"] == "httpd")
        #expect(config["limits.memory"] == "\(64 << 20)B")
        #expect(config["limits.cpu.allowance"] == "25ms/100ms")
        #expect(try LXDTest.exec("ss-\(id)", "printf %s \"$GREETING\"") == "hello world")
        let devices = try #require(instance["devices"] as? [String: [String: String]])
        #expect(devices["ss-port-vnc"]?["type"] == "proxy")
        #expect(devices["ss-port-vnc"]?["listen"]?.hasPrefix("tcp:127.0.0.1:") == true)
        #expect(devices["ss-port-vnc"]?["connect"] == "tcp:127.0.0.1:8080")
        #expect(devices["ss-vol-home"]?["source"] == "ss-\(id)-home")
        #expect(devices["ss-vol-home"]?["path"] == "/config")

        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        #expect(try LXDTestEnvironment.instance(ofSession: id) == nil)
        #expect(try LXDTestEnvironment.query("/1.0/storage-pools/default/volumes/custom/ss-\(id)-home") != nil)
        #expect(try await driver.stop(StopRequest(sessionId: id, deleteVolumes: true)).state == .terminated)
        #expect(try LXDTestEnvironment.query("/1.0/storage-pools/default/volumes/custom/ss-\(id)-home") == nil)
        await driver.destroy()
    }

    @Test func hibernationKeepsTheHomeAndANewDriverFindsTheTrueStates() async throws {
        let sleeping = LXDTest.sessionID("sleep"), awake = LXDTest.sessionID("awake")
        defer { LXDTest.cleanUp([sleeping, awake]) }
        let first = try await LXDTest.loadDriver()
        _ = try await first.start(try LXDTest.spec(sleeping))
        _ = try await first.start(try LXDTest.spec(awake, persistentHome: false))
        _ = try LXDTest.exec("ss-\(sleeping)", "echo kept > /config/keep.txt")
        #expect(try await first.hibernate(sleeping).state == .hibernated)
        #expect(try await first.hibernate(sleeping).state == .hibernated)  // idempotent
        let stopped = try #require(try LXDTestEnvironment.instance(ofSession: sleeping))
        #expect(stopped["status"] as? String == "Stopped")
        await first.destroy()

        let second = try await LXDTest.loadDriver()
        let found = Dictionary(uniqueKeysWithValues: try await second.sessions().map { ($0.sessionId, $0) })
        #expect(found[sleeping]?.state == .hibernated)
        #expect(found[awake]?.state == .running)
        let woken = try await second.wake(sleeping)
        #expect(woken.state == .running)
        let url = try #require(woken.endpoints.first?.url)
        #expect(try await Probes.fetch(url + "/keep.txt").contains("kept"))
        #expect(try await second.wake(sleeping).state == .running)  // idempotent
        for id in [sleeping, awake] { _ = try await second.stop(StopRequest(sessionId: id, deleteVolumes: true)) }
        await second.destroy()
    }

    @Test func anInstanceStoppedByHandIsReportedFailed() async throws {
        let id = LXDTest.sessionID("byhand")
        defer { LXDTest.cleanUp([id]) }
        let driver = try await LXDTest.loadDriver()
        _ = try await driver.start(try LXDTest.spec(id, persistentHome: false))
        try LXDTestEnvironment.lxcOutput(["stop", "--force", "ss-\(id)"])
        let status = try await driver.session(id)
        #expect(status.state == .failed)
        #expect(status.message?.contains("not by the agent") == true, "\(status.message ?? "")")
        #expect(try await driver.start(try LXDTest.spec(id, persistentHome: false)).state == .running)
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    @Test func imagesComeFromTheConfigsMapAndLXDsOwnErrorReachesTheCaller() async throws {
        let id = LXDTest.sessionID("mapped")
        defer { LXDTest.cleanUp([id]) }
        let config = #"{"hibernate": "stop", "images": {"lscr.io/linuxserver/firefox:latest": "\#(LXDTestEnvironment.image)", "example/missing:1": "no-such-alias"}}"#
        let driver = try await LXDTest.loadDriver(config: config)
        let status = try await driver.start(try LXDTest.spec(id, image: "lscr.io/linuxserver/firefox:latest"))
        #expect(status.state == .running)
        _ = try await driver.stop(StopRequest(sessionId: id))

        let missing = LXDTest.sessionID("missing")
        defer { LXDTest.cleanUp([missing]) }
        do {
            _ = try await driver.start(try LXDTest.spec(missing, image: "example/missing:1"))
            Issue.record("a start from an alias LXD does not have succeeded")
        } catch let error as DriverError {
            #expect(error.message.contains("no-such-alias"), "\(error.message)")
        }
        #expect(try LXDTestEnvironment.instance(ofSession: missing) == nil)
        await driver.destroy()
    }

    @Test func hibernationIsDeclaredFromWhatLXDCanDoHere() async throws {
        // The probe at load: on these machines CRIU cannot dump (kernel vDSO), so disk.
        let probed = try await LXDTest.loadDriver(config: "{}")
        #expect(probed.capabilities.contains(.hibernateDisk) != probed.capabilities.contains(.hibernateMemory))
        let leftovers = (try LXDTestEnvironment.query("/1.0/instances") as? [String] ?? []).filter { $0.contains("ss-probe-") }
        #expect(leftovers.isEmpty, "the probe left \(leftovers)")
        await probed.destroy()

        // An operator who insists on stateful hibernation gets LXD's own reason when it fails.
        let id = LXDTest.sessionID("stateful")
        defer { LXDTest.cleanUp([id]) }
        let stateful = try await LXDTest.loadDriver(config: #"{"hibernate": "stateful"}"#)
        #expect(stateful.capabilities.contains(.hibernateMemory))
        _ = try await stateful.start(try LXDTest.spec(id, persistentHome: false))
        if probed.capabilities.contains(.hibernateDisk) {
            var failure: DriverError?
            do { _ = try await stateful.hibernate(id) } catch { failure = error }
            #expect(failure?.message.contains("stopping ss-\(id) statefully") == true, "\(failure?.message ?? "it succeeded")")
        }
        _ = try await stateful.stop(StopRequest(sessionId: id))
        await stateful.destroy()
    }

    @Test func sessionIDsThatAreNotHostNamesGetDistinctInstanceNames() async throws {
        let base = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let dotted = "a.b-\(base)", dashed = "a-b-\(base)"
        defer { LXDTest.cleanUp([dotted, dashed]) }
        let driver = try await LXDTest.loadDriver()
        _ = try await driver.start(try LXDTest.spec(dotted, persistentHome: false))
        _ = try await driver.start(try LXDTest.spec(dashed, persistentHome: false))
        let first = try #require(try LXDTestEnvironment.instance(ofSession: dotted)?["name"] as? String)
        let second = try #require(try LXDTestEnvironment.instance(ofSession: dashed)?["name"] as? String)
        #expect(first != second && second == "ss-\(dashed)")
        #expect(try await driver.session(dotted).state == .running)
        for id in [dotted, dashed] { _ = try await driver.stop(StopRequest(sessionId: id)) }
        await driver.destroy()
    }

    @Test func theConsoleLogTailsAndFollows() async throws {
        let id = LXDTest.sessionID("logs")
        defer { LXDTest.cleanUp([id]) }
        let driver = try await LXDTest.loadDriver()
        _ = try await driver.start(try LXDTest.spec(id, persistentHome: false))
        var text = ""
        for _ in 0..<50 where !text.contains("session starting (console)") {
            let (bytes, _) = await driver.openLogs(LogRequest(sessionId: id)).collect()
            text = String(decoding: bytes, as: UTF8.self)
            if !text.contains("session starting") { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(text.contains("session starting (console)"))

        let follow = driver.openLogs(LogRequest(sessionId: id, follow: true, tailLines: 0))
        #expect(try await Probes.followDelivers(follow) { _ = try LXDTest.exec("ss-\(id)", "echo \($0) > /dev/console") })
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    @Test func metricsAreTheHostsAndTheInstancesRealFigures() async throws {
        let id = LXDTest.sessionID("metrics")
        defer { LXDTest.cleanUp([id]) }
        let driver = try await LXDTest.loadDriver()
        _ = try await driver.start(try LXDTest.spec(id, persistentHome: false))
        let node = try await driver.nodeMetrics()
        #expect(node.cpuCores >= 1 && node.memoryBytes > 0 && node.memoryUsedBytes > 0)
        #expect(node.diskBytes > 0 && node.diskUsedBytes > 0)
        let session = try await driver.sessionMetrics(id)
        #expect(session.memoryBytes == 64 << 20)
        #expect(session.memoryUsedBytes > 0)
        _ = try await driver.stop(StopRequest(sessionId: id))
        await driver.destroy()
    }

    @Test func configMistakesAreRefusedWhenTheDriverLoads() async throws {
        let cases: [(String, String)] = [
            (#"{"hibernat": "stop"}"#, "unknown config key \"hibernat\""),
            (#"{"hibernate": "sometimes"}"#, "\"hibernate\" must be auto, stateful or stop"),
            (#"{"url": "http://lxd.example:8443"}"#, "must start with https://"),
            (#"{"url": "https://lxd.example:8443"}"#, "needs \"clientCertificate\" and \"clientKey\""),
            (#"{"portRange": "80-90"}"#, "\"portRange\" must look like"),
            (#"{"images": {"x": {"alias": "a", "fingerprint": "b"}}}"#, "exactly one alias or fingerprint"),
        ]
        for (config, expected) in cases {
            do {
                let driver = try await LXDTest.loadDriver(config: config)
                await driver.destroy()
                Issue.record("config \(config) was accepted")
            } catch {
                #expect("\(error)".contains(expected), "config \(config): \(error)")
            }
        }
    }
}

/// Outside the suites above, which are skipped without LXD: when Scripts/test.sh requires it
/// (STREAMSPACE_REQUIRE_LXD=1), its absence fails here instead of skipping everything quietly.
@Suite struct LXDRequirement {
    @Test func lxdIsHereWhenTheSuiteRequiresIt() {
        #expect(LXDTestEnvironment.isAvailable || !LXDTestEnvironment.isRequired,
                "Scripts/test.sh requires LXD: \(LXDTestEnvironment.unavailableReason ?? "")")
    }
}
