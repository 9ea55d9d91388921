import DriverModel

/// One conformance check: what it proves (a header rule), what capability it needs, and how.
struct Check: Sendable {
    let name: String
    let rule: String?
    let requires: (capability: DriverCapabilities, name: String)?
    let body: @Sendable (CheckContext) async throws -> Void

    init(_ name: String, rule: String? = nil, requires: DriverCapabilities? = nil,
         _ body: @escaping @Sendable (CheckContext) async throws -> Void) {
        self.name = name
        self.rule = rule
        self.requires = requires.map { ($0, $0.description) }
        self.body = body
    }
}

extension ConformanceKit {
    static let checks: [Check] = negotiationChecks + sessionChecks + idempotencyChecks
        + validationChecks + metricsChecks + logChecks + concurrencyChecks + recoveryChecks + threadChecks

    // MARK: Negotiation and describe

    static let negotiationChecks: [Check] = [
        Check("negotiation", rule: "entry point") { context in
            let library = context.driver.library
            let current = library.negotiate(hostMin: DriverLibrary.hostMinVersion, hostMax: DriverLibrary.hostMaxVersion)
            try expect(current.status == .ok && current.gaveTable, "the entry point refused this host's range on a second call (\(current.status.name))")
            let future = library.negotiate(hostMin: 0x0002_0000, hostMax: 0x0002_0003)
            try expect(future.status == .incompatible, "a host offering only ABI 2.0–2.3 must get INCOMPATIBLE, got \(future.status.name)")
        },
        Check("describe", rule: "describe") { context in
            let driver = context.driver
            guard let reply = driver.describeNow() else { throw CheckFailure("describe did not reply before returning ([sync-reply])") }
            let describe = try context.expectOK(reply, "describe", "describe")
            try expect(reply.json == driver.describeJSON, "describe answered differently on a second call")
            try expect(DriverDescription.streamSpacePlatforms.contains(describe["platform"]?.stringValue ?? ""),
                       "describe.platform must be one of \(DriverDescription.streamSpacePlatforms)")
        },
        Check("health", rule: "health") { context in
            try context.expectOK(try await context.call(.health), "health", "health")
        },
    ]

    // MARK: Lifecycle

    static let sessionChecks: [Check] = [
        Check("lifecycle", rule: "start/get/stop") { context in
            let id = context.newSessionID()
            let running = try await context.startRunning(id)
            let endpoints = running["endpoints"]?.arrayValue ?? []
            try expect(endpoints.contains { $0["name"]?.stringValue == "http" },
                       "a running session must report an endpoint for its template port \"http\", got \(running["endpoints"]?.jsonString() ?? "none")")
            try expect(try await context.listedIDs().contains(id), "list does not include running session \(id)")
            let stopped = try context.expectOK(try await context.stop(id), "session-status", "stop \(id)")
            try expect(stopped["state"]?.stringValue == "terminated", "stop must reply state terminated, got \(stopped["state"]?.jsonString() ?? "none")")
            try context.expectError(try await context.call(.get, id: id), .notFound, "get after stop")
            try expect(!(try await context.listedIDs().contains(id)), "list still includes stopped session \(id)")
        },
        Check("hibernate-wake", rule: "hibernation", requires: [.hibernateDisk]) { context in
            try await hibernateWake(context)
        },
        Check("hibernate-wake-memory", rule: "hibernation", requires: [.hibernateMemory]) { context in
            try await hibernateWake(context)
        },
        Check("get-unknown", rule: "get_session") { context in
            try context.expectError(try await context.call(.get, id: context.newSessionID()), .notFound, "get of an unknown session")
        },
    ]

    static func hibernateWake(_ context: CheckContext) async throws {
        let id = context.newSessionID()
        try await context.startRunning(id)
        let hibernated = try context.expectOK(try await context.call(.hibernate, id: id), "session-status", "hibernate")
        try expect(hibernated["state"]?.stringValue == "hibernated", "hibernate must reply state hibernated, got \(hibernated["state"]?.jsonString() ?? "none")")
        _ = try await context.waitFor(id, state: "hibernated")
        let again = try context.expectOK(try await context.call(.hibernate, id: id), "session-status", "second hibernate")
        try expect(again["state"]?.stringValue == "hibernated", "a second hibernate must reply the hibernated status (R6)")
        let woken = try context.expectOK(try await context.call(.wake, id: id), "session-status", "wake")
        try expect(woken["state"]?.stringValue == "running" || woken["state"]?.stringValue == "starting",
                   "wake must reply state running, got \(woken["state"]?.jsonString() ?? "none")")
        let running = try await context.waitFor(id, state: "running")
        try expect(!(running["endpoints"]?.arrayValue ?? []).isEmpty, "a woken session must report its endpoints again")
        let wokenAgain = try context.expectOK(try await context.call(.wake, id: id), "session-status", "second wake")
        try expect(wokenAgain["state"]?.stringValue == "running", "a second wake must reply the running status (R6)")
        try context.expectError(try await context.call(.hibernate, id: context.newSessionID()), .notFound, "hibernate of an unknown session")
        _ = try await context.stop(id)
    }

    // MARK: Idempotency (R6)

    static let idempotencyChecks: [Check] = [
        Check("idempotent-start", rule: "R6") { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            let again = try context.expectOK(try await context.call(.start, json: context.spec(id)), "session-status", "second start")
            try expect(again["sessionId"]?.stringValue == id && again["state"]?.stringValue == "running",
                       "a second start must reply the running session, got \(again.jsonString())")
            let listed = try await context.listedIDs()
            try expect(listed.contains(id), "list lost session \(id) after a second start")
            _ = try await context.stop(id)
        },
        Check("idempotent-stop", rule: "R6") { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            for attempt in ["stop", "second stop"] {
                let stopped = try context.expectOK(try await context.stop(id), "session-status", attempt)
                try expect(stopped["state"]?.stringValue == "terminated", "\(attempt) must reply terminated")
            }
            let unknown = try context.expectOK(try await context.stop(context.newSessionID()), "session-status", "stop of an unknown session")
            try expect(unknown["state"]?.stringValue == "terminated", "stop of an unknown session must reply terminated")
        },
    ]

    // MARK: Validation (R7)

    static let validationChecks: [Check] = [
        Check("invalid-input-rejected", rule: "R7") { context in
            let goodID = context.newSessionID()
            let good = context.spec(goodID)
            func with(_ path: [String], _ value: JSONValue?) -> JSONValue { good.setting(path, value) }
            let invalid: [(String, [UInt8])] = [
                ("bytes that are not JSON", Array("{\"id\":".utf8)),
                ("a JSON array", Array("[]".utf8)),
                ("a spec without template.image", Array(with(["template", "image"], nil).jsonString().utf8)),
                ("template.image of the wrong type", Array(with(["template", "image"], .int(42)).jsonString().utf8)),
                ("an id with a slash", Array(with(["id"], .string("bad/id")).jsonString().utf8)),
                ("an id with '..'", Array(with(["id"], .string("../etc")).jsonString().utf8)),
                ("an id with shell characters", Array(with(["id"], .string("x;rm -rf $(pwd)")).jsonString().utf8)),
                ("an empty id", Array(with(["id"], .string("")).jsonString().utf8)),
                ("an id of 101 characters", Array(with(["id"], .string(String(repeating: "a", count: 101))).jsonString().utf8)),
                ("a port of 70000", Array(with(["template", "ports"], .array([.object(["name": .string("http"), "port": .int(70000)])])).jsonString().utf8)),
                // Control characters: the host refuses them too, but a driver must not rely on it.
                ("an env value with a newline", Array(with(["template", "env"], .object(["TZ": .string("UTC\nLD_PRELOAD=/tmp/x.so")])).jsonString().utf8)),
                ("an env value with a NUL", Array(with(["template", "env"], .object(["TZ": .string("UTC\u{0}x")])).jsonString().utf8)),
                ("an env value with an ESC", Array(with(["template", "env"], .object(["TZ": .string("\u{1B}[2J")])).jsonString().utf8)),
                ("a label value with a newline", Array(with(["labels"], .object(["team": .string("a\nb")])).jsonString().utf8)),
                ("a user with a line separator", Array(with(["user"], .string("alice\u{2028}root")).jsonString().utf8)),
                ("a template name with a carriage return", Array(with(["template", "name"], .string("firefox\r")).jsonString().utf8)),
            ]
            for (what, input) in invalid {
                try context.expectError(try await context.call(.start, input), .invalidArgument, "start with \(what)")
            }
            let capabilities = context.driver.capabilities
            let byID: [(Driver.Operation, String, Bool)] = [
                (.get, "get", true),
                (.hibernate, "hibernate", capabilities.canHibernate),
                (.wake, "wake", capabilities.canHibernate),
                (.sessionMetrics, "session metrics", capabilities.contains(.sessionMetrics)),
            ]
            for (operation, what, declared) in byID where declared {
                let reply = try await context.call(operation, id: "../../etc/passwd")
                try context.expectError(reply, .invalidArgument, "\(what) with session id ../../etc/passwd")
            }
            try context.expectError(try await context.call(.stop, Array("{\"sessionId\":\"a b\"}".utf8)), .invalidArgument, "stop with session id \"a b\"")
            // Other sessions may come and go on a shared platform: look only for what these
            // attempts could have created.
            try context.expectError(try await context.call(.get, id: goodID), .notFound, "get \(goodID) after invalid starts")
            let leaked = try await context.listedIDs().filter { $0 == goodID || $0.hasPrefix("bad") || $0.contains("etc") || $0.hasPrefix("aaaa") }
            try expect(leaked.isEmpty, "invalid input created sessions: \(leaked.sorted())")
        },
    ]

    // MARK: Metrics

    static let metricsChecks: [Check] = [
        Check("node-metrics", rule: "node_metrics", requires: [.nodeMetrics]) { context in
            let metrics = try context.expectOK(try await context.call(.nodeMetrics), "node-metrics", "node metrics")
            try expect((metrics["cpuCores"]?.numberValue ?? 0) > 0, "node cpuCores must be > 0")
            try expect((metrics["memoryBytes"]?.intValue ?? 0) > 0, "node memoryBytes must be > 0")
        },
        Check("session-metrics", rule: "session_metrics", requires: [.sessionMetrics]) { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            let metrics = try context.expectOK(try await context.call(.sessionMetrics, id: id), "session-metrics", "session metrics")
            try expect(metrics["sessionId"]?.stringValue == id, "session metrics name another session")
            try context.expectError(try await context.call(.sessionMetrics, id: context.newSessionID()), .notFound, "metrics of an unknown session")
            _ = try await context.stop(id)
        },
    ]

    // MARK: Threads (R3)

    /// Last, so that it judges every call of the run: the host times each call of an instance
    /// that declares nonblocking-calls, and notes the first that blocked.
    static let threadChecks: [Check] = [
        Check("nonblocking-calls", rule: "R3", requires: .nonblockingCalls) { context in
            for _ in 0..<3 {
                _ = try await context.call(.health)
                _ = try await context.call(.list)
            }
            if let broken = context.nonblockingPromiseBroken {
                throw CheckFailure("declares nonblocking-calls, but \(broken) (the limit is \(Driver.nonblockingReturnLimit)): a call that blocks stalls the host's own threads")
            }
        },
    ]

    // MARK: Concurrency (R4)

    static let concurrencyChecks: [Check] = [
        Check("concurrent-sessions", rule: "R4") { context in
            let ids = (0..<context.options.concurrentSessions).map { _ in context.newSessionID() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids { group.addTask { try await context.startRunning(id) } }
                try await group.waitForAll()
            }
            let listed = try await context.listedIDs()
            try expect(listed.isSuperset(of: ids), "list after concurrent starts misses \(Set(ids).subtracting(listed).sorted())")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask { try context.expectOK(try await context.stop(id), "session-status", "concurrent stop \(id)") }
                }
                try await group.waitForAll()
            }
            let left = try await context.listedIDs().intersection(ids)
            try expect(left.isEmpty, "sessions left after concurrent stops: \(left.sorted())")
        },
    ]

    // MARK: Recovery (R10)

    static let recoveryChecks: [Check] = [
        Check("recover-after-restart", rule: "R10") { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            let old = context.driver
            await old.destroy()
            let fresh: Driver
            do {
                fresh = try await Driver.create(old.library, configuration: context.options.configuration, logger: context.logger)
            } catch {
                throw CheckFailure("could not create a second instance: \(error)")
            }
            context.replaceDriver(fresh, keepingViolationsOf: old)
            try expect(try await context.listedIDs().contains(id), "a new instance does not list session \(id) that the previous one started")
            let status = try context.expectOK(try await context.call(.get, id: id), "session-status", "get after restart")
            try expect(status["state"]?.stringValue == "running", "session \(id) should still run after the instance restarted")
            _ = try await context.stop(id)
        },
    ]
}

extension JSONValue {
    /// A copy with the value at `path` replaced (nil removes it).
    func setting(_ path: [String], _ value: JSONValue?) -> JSONValue {
        guard let key = path.first, case .object(var members) = self else { return value ?? self }
        if path.count == 1 {
            members[key] = value
        } else {
            members[key] = (members[key] ?? .object([:])).setting(Array(path.dropFirst()), value)
        }
        return .object(members)
    }
}
