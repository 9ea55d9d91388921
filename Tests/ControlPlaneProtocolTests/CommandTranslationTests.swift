@testable import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// Server commands → driver requests, and driver answers → the `status` the server understands.
@Suite struct CommandTranslationTests {
    // MARK: - start_session golden files (Tests/Fixtures/control-plane/start_session)

    static let folder = "start_session"
    static let files = Fixtures.jsonFiles(in: folder)

    /// Reads a fixture's `message` the way the agent reads a frame: written out, decoded as a
    /// message, parsed as a command.
    static func command(in fixture: JSONValue) throws -> Command {
        let frame = try #require(fixture["message"]).jsonString()
        let message = try Message.decode(frame).get()
        #expect(message.type == "command")
        let command = try Command.parse(message.payload).get()
        #expect(command.action == "start_session")
        return command
    }

    static func fixture(_ file: String) throws -> JSONValue {
        try StrictJSON.parse(try Fixtures.text("\(folder)/\(file)"))
    }

    @Test func thereAreGoldenFilesOfBothKinds() throws {
        let fixtures = try Self.files.map(Self.fixture)
        #expect(fixtures.filter { $0["expected"] != nil }.count >= 6)
        #expect(fixtures.filter { $0["expectedError"] != nil }.count >= 10)
        for (file, fixture) in zip(Self.files, fixtures) {
            #expect((fixture["expected"] == nil) != (fixture["expectedError"] == nil), "\(file): expected or expectedError")
            #expect(fixture["description"]?.stringValue?.isEmpty == false, "\(file) describes itself")
        }
    }

    @Test(arguments: files)
    func startSessionTranslatesAsTheGoldenFileSays(_ file: String) throws {
        let fixture = try Self.fixture(file)
        let command = try Self.command(in: fixture)
        if let expected = fixture["expected"] {
            let spec = try CommandTranslation.sessionSpec(fromStart: command.payload)
            let actual = try StrictJSON.parse(JSONCoding.encode(spec))
            #expect(actual == expected, "\(file): \(actual.jsonString())")
            // The golden JSON is itself a valid SessionSpec document.
            let decoded = try JSONCoding.decode(SessionSpec.self, from: Array(expected.jsonString().utf8), what: file)
            #expect(decoded == spec)
            #expect(decoded.firstProblem() == nil)
        } else {
            let error = try #require(fixture["expectedError"])
            let thrown = #expect(throws: DriverError.self) { try CommandTranslation.sessionSpec(fromStart: command.payload) }
            #expect(thrown?.code.name == error["code"]?.stringValue, "\(file): \(String(describing: thrown))")
            let fragment = try #require(error["messageContains"]?.stringValue)
            #expect(thrown?.message.contains(fragment) == true, "\(file): \(thrown?.message ?? "no error") lacks \(fragment)")
        }
    }

    // MARK: - start_session, directly

    static let firefoxSpec: JSONValue = .object([
        "baseImage": .string("lscr.io/linuxserver/firefox:latest"),
        "ports": .array([.object(["name": .string("vnc"), "containerPort": .int(3000), "protocol": .string("TCP")])]),
    ])

    static func startPayload(_ extra: [String: JSONValue] = [:], spec: JSONValue = firefoxSpec) -> JSONValue {
        var members: [String: JSONValue] = [
            "sessionId": .string("alice-firefox-1a2b3c4d"), "user": .string("alice"), "template": .string("firefox"),
            "templateManifest": .object(["apiVersion": .string("stream.space/v1alpha1"), "kind": .string("Template"),
                                         "metadata": .object(["name": .string("firefox")]), "spec": spec]),
        ]
        members.merge(extra) { $1 }
        return .object(members)
    }

    @Test func fullCRDAndBareSpecGiveTheSameSpec() throws {
        let crd = try CommandTranslation.sessionSpec(fromStart: Self.startPayload())
        var bare = Self.startPayload().members
        bare["templateManifest"] = Self.firefoxSpec
        #expect(try CommandTranslation.sessionSpec(fromStart: .object(bare)) == crd)
    }

    @Test(arguments: [
        // (top-level cpu, top-level memory, default cpu, default memory) → (cpu, memory)
        (JSONValue.string("2000m"), JSONValue.string("4Gi"), "500m", "1Gi", "2000m", "4Gi"),
        (.null, .null, "500m", "1Gi", "500m", "1Gi"),
        (.string(""), .string(""), "500m", "1Gi", "500m", "1Gi"),
        (.string("250m"), .null, "500m", "1Gi", "250m", "1Gi"),    // each falls back on its own
        (.null, .null, "", "", "1000m", "2Gi"),
        (.null, .null, nil, nil, "1000m", "2Gi"),
    ] as [(JSONValue, JSONValue, String?, String?, String, String)])
    func resourcesComeFromTheCommandThenTheTemplateThenDefaults(
        _ cpu: JSONValue, _ memory: JSONValue, _ defaultCPU: String?, _ defaultMemory: String?,
        _ expectedCPU: String, _ expectedMemory: String
    ) throws {
        var spec = Self.firefoxSpec.members
        var defaults: [String: JSONValue] = [:]
        if let defaultCPU { defaults["cpu"] = .string(defaultCPU) }
        if let defaultMemory { defaults["memory"] = .string(defaultMemory) }
        if !defaults.isEmpty { spec["defaultResources"] = .object(defaults) }
        let result = try CommandTranslation.sessionSpec(fromStart: Self.startPayload(["cpu": cpu, "memory": memory], spec: .object(spec)))
        #expect(result.resources.cpu == expectedCPU)
        #expect(result.resources.memory == expectedMemory)
        #expect(result.resources == (try SessionSpec.Resources(cpu: expectedCPU, memory: expectedMemory)))
    }

    /// `"cpu": 2` is not "2": refused, never run with the template's or the built-in default.
    @Test(arguments: [("cpu", JSONValue.int(2)), ("cpu", .object([:])), ("memory", .int(4)), ("memory", .array([]))])
    func aResourceOfTheWrongTypeIsRefused(_ key: String, _ value: JSONValue) {
        let error = #expect(throws: DriverError.self) { try CommandTranslation.sessionSpec(fromStart: Self.startPayload([key: value])) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("payload.\(key): expected a string like ") == true, "\(String(describing: error))")
    }

    @Test(arguments: ["2GB", "lots", "-1Gi", "0", "1.5.5Gi", " 2Gi"])
    func aBadMemoryQuantityIsAnInvalidArgument(_ memory: String) {
        let error = #expect(throws: DriverError.self) {
            try CommandTranslation.sessionSpec(fromStart: Self.startPayload(["memory": .string(memory)]))
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("invalid memory quantity") == true)
    }

    @Test(arguments: ["../x", "..", "Alice-firefox-1a2b3c4d", "alice firefox", "alice/firefox", "-alice", String(repeating: "a", count: 101)])
    func aBadSessionIdIsAnInvalidArgument(_ id: String) {
        let error = #expect(throws: DriverError.self) {
            try CommandTranslation.sessionSpec(fromStart: Self.startPayload(["sessionId": .string(id)]))
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("session id") == true, "\(error?.message ?? "")")
    }

    @Test func theImageFallsBackToSpecImage() throws {
        let spec = try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: .object(["image": .string("nginx:1.27")])))
        #expect(spec.template.image == "nginx:1.27")
    }

    @Test(arguments: [(JSONValue.object([:]), "spec.baseImage"), (.object(["baseImage": .string("")]), "spec.baseImage"),
                      (.object(["baseImage": .int(1)]), "spec.baseImage"), (.string("firefox"), "templateManifest.spec: expected an object")])
    func withoutABaseImageTheErrorNamesSpecBaseImage(_ spec: JSONValue, _ named: String) {
        let error = #expect(throws: DriverError.self) { try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: spec)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(named) == true, "\(String(describing: error))")
    }

    @Test func unknownKeysAreIgnored() throws {
        let plain = try CommandTranslation.sessionSpec(fromStart: Self.startPayload())
        var spec = Self.firefoxSpec.members
        spec["gpu"] = .object(["count": .int(1)])
        spec["securityContext"] = .array([.null])
        let noisy = Self.startPayload(["idleTimeout": .string("30m"), "maxSessionDuration": .int(28800), "tags": .array([.string("x")]),
                                       "priority": .double(0.5), "templateManifest": .object(["spec": .object(spec), "status": .object(["valid": .bool(true)])])])
        #expect(try CommandTranslation.sessionSpec(fromStart: noisy).template == plain.template)
    }

    @Test func envWithoutValueIsEmpty() throws {
        var spec = Self.firefoxSpec.members
        spec["env"] = .array([.object(["name": .string("PUID"), "value": .string("1000")]),
                              .object(["name": .string("SECRET"), "valueFrom": .object(["secretKeyRef": .object([:])])])])
        let result = try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: .object(spec)))
        #expect(result.template.env == ["PUID": "1000", "SECRET": ""])
    }

    /// A variable without a name cannot be set: refused, not skipped (the template is wrong).
    @Test func envWithoutANameIsRefused() {
        var spec = Self.firefoxSpec.members
        spec["env"] = .array([.object(["name": .string("PUID"), "value": .string("1000")]), .object(["value": .string("orphan")])])
        let error = #expect(throws: DriverError.self) { try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: .object(spec))) }
        #expect(error?.message == "payload.templateManifest.spec.env[1].name: expected a string of letters, digits and '_', but it is missing")
    }

    @Test func aTemplateNameFallsBackToTheManifestName() throws {
        var payload = Self.startPayload().members
        payload["template"] = nil
        #expect(try CommandTranslation.sessionSpec(fromStart: .object(payload)).template.name == "firefox")
        payload["templateManifest"] = Self.firefoxSpec
        #expect(try CommandTranslation.sessionSpec(fromStart: .object(payload)).template.name == nil)
    }

    // MARK: - Port names

    @Test(arguments: [
        ("VNC", 3000, [], "vnc"), ("vnc", 3000, [], "vnc"), (nil, 3000, [], "port-3000"), ("", 80, [], "port-80"),
        ("http", 8081, ["http"], "port-8081"), ("audio_stream", 4713, [], "port-4713"), ("web ui", 8080, [], "port-8080"),
        ("Novnc-Web2", 6080, [], "novnc-web2"), (String(repeating: "a", count: 63), 1, [], String(repeating: "a", count: 63)),
        (String(repeating: "a", count: 64), 1, [], "port-1"), ("vnc", 5901, ["vnc"], "port-5901"), ("ünïcode", 9, [], "port-9"),
    ] as [(String?, Int, [String], String)])
    func portNamesBecomeLowercaseDNSLabels(_ name: String?, _ number: Int, _ taken: [String], _ expected: String) {
        #expect(CommandTranslation.portName(name, number: number, taken: taken) == expected)
    }

    @Test(arguments: [
        ("TCP", "tcp"), ("UDP", "udp"), ("tcp", "tcp"), ("Udp", "udp"),
    ])
    func protocolsAreLowercased(_ given: String, _ expected: String) throws {
        let spec = JSONValue.object(["baseImage": .string("img"),
                                     "ports": .array([.object(["containerPort": .int(3000), "protocol": .string(given)])])])
        #expect(try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: spec)).template.ports.first?.protocol == expected)
    }

    /// Kubernetes allows the same containerPort once per protocol, unnamed (e.g. a TURN server
    /// on 3478 TCP and UDP). Both get "port-3478", and the spec fails validation ("used twice"),
    /// so the session cannot start. (Two ports both named "turn" are fine: the second becomes
    /// port-3478, see the next test.)
    @Test(arguments: [
        [(nil, 3478, "TCP"), (nil, 3478, "UDP")],
        [(nil, 3000, "TCP"), ("vnc", 3000, "TCP"), (nil, 3000, "UDP")],
        [("port-3001", 3000, "TCP"), (nil, 3001, "TCP")],
    ] as [[(String?, Int, String)]])
    func generatedPortNamesAreUnique(_ ports: [(String?, Int, String)]) throws {
        let spec = JSONValue.object(["baseImage": .string("coturn/coturn:4.6"), "ports": .array(ports.map { name, number, proto in
            var port: [String: JSONValue] = ["containerPort": .int(Int64(number)), "protocol": .string(proto)]
            if let name { port["name"] = .string(name) }
            return .object(port)
        })])
        let result = try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: spec))
        #expect(Set(result.template.ports.map(\.name)).count == ports.count)
    }

    @Test func aRepeatedNameFallsBackToTheNumberWhenThatIsFree() throws {
        let spec = JSONValue.object(["baseImage": .string("coturn/coturn:4.6"), "ports": .array([
            .object(["name": .string("turn"), "containerPort": .int(3478), "protocol": .string("TCP")]),
            .object(["name": .string("turn"), "containerPort": .int(3478), "protocol": .string("UDP")]),
        ])])
        let ports = try CommandTranslation.sessionSpec(fromStart: Self.startPayload(spec: spec)).template.ports
        #expect(ports == [.init(name: "turn", port: 3478, protocol: "tcp"), .init(name: "port-3478", port: 3478, protocol: "udp")])
    }

    // MARK: - stop, hibernate, wake

    @Test(arguments: [(JSONValue?.some(.bool(true)), true), (.bool(false), false), (.null, false), (nil, false)])
    func stopRequestCarriesDeletePVC(_ deletePVC: JSONValue?, _ expected: Bool) throws {
        var payload: [String: JSONValue] = ["sessionId": .string("alice-firefox-1a2b3c4d"), "namespace": .string("streamspace")]
        payload["deletePVC"] = deletePVC
        #expect(try CommandTranslation.stopRequest(.object(payload)) == StopRequest(sessionId: "alice-firefox-1a2b3c4d", deleteVolumes: expected))
    }

    /// A home volume meant to go must not be kept because the flag came as a string.
    @Test(arguments: [JSONValue.string("true"), .int(1), .string("yes")])
    func aDeletePVCOfTheWrongTypeIsRefusedNotDefaulted(_ deletePVC: JSONValue) {
        let payload: JSONValue = .object(["sessionId": .string("alice-firefox-1a2b3c4d"), "deletePVC": deletePVC])
        let error = #expect(throws: DriverError.self) { try CommandTranslation.stopRequest(payload) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("payload.deletePVC: expected true or false, got ") == true, "\(String(describing: error))")
    }

    @Test(arguments: [JSONValue.object([:]), .object(["sessionId": .string("")]), .object(["sessionId": .int(7)]),
                      .object(["sessionId": .string("../etc")]), .object(["session_id": .string("alice-firefox-1a2b3c4d")]), .null])
    func stopWithoutAUsableSessionIdIsAnInvalidArgument(_ payload: JSONValue) {
        let error = #expect(throws: DriverError.self) { try CommandTranslation.stopRequest(payload) }
        #expect(error?.code == .invalidArgument)
    }

    @Test func hibernateAndWakeReadTheSessionId() throws {
        let payload = try StrictJSON.parse(#"{"sessionId":"bob-vscode-0badcafe","namespace":"streamspace"}"#)
        #expect(try CommandTranslation.sessionID(payload, action: "hibernate_session") == "bob-vscode-0badcafe")
        #expect(try CommandTranslation.sessionID(payload, action: "wake_session") == "bob-vscode-0badcafe")
        let error = #expect(throws: DriverError.self) { try CommandTranslation.sessionID(.object([:]), action: "wake_session") }
        #expect(error?.message == #"payload.sessionId: expected a string like "alice-firefox-1a2b3c4d", but it is missing"#)
    }

    // MARK: - status

    static let vnc = Endpoint(name: "vnc", port: 3000, url: "http://203.0.113.7:49153")

    static func statusPayload(_ status: SessionStatus) -> JSONValue {
        guard let message = CommandTranslation.statusMessage(status) else {
            Issue.record("no status message for \(status.state)")
            return .null
        }
        #expect(message.type == "status")
        #expect(GoTypes.mismatch(type: "status", payload: message.payload) == nil)
        return message.payload
    }

    @Test func runningWithAVNCURLIsReadyOnTheTemplatePort() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .running, endpoints: [Self.vnc],
                                                       platformMetadata: ["containerId": .string("3f2a9c")]))
        #expect(payload["sessionId"] == .string("s-1"))
        #expect(payload["state"] == .string("running"))
        #expect(payload["vncReady"] == .bool(true))
        #expect(payload["vncPort"] == .int(3000))
        #expect(payload["platformMetadata"] == .object([
            "containerId": .string("3f2a9c"),
            "endpoints": .array([.object(["name": .string("vnc"), "port": .int(3000), "url": .string("http://203.0.113.7:49153")])]),
            "url": .string("http://203.0.113.7:49153"),
        ]))
    }

    @Test func runningWithoutAURLIsNotReadyAndHasNoPort() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .running, endpoints: [Endpoint(name: "vnc", port: 3000)]))
        #expect(payload["state"] == .string("running"))
        #expect(payload["vncReady"] == .bool(false))
        #expect(payload["vncPort"] == .int(0))
        #expect(payload["platformMetadata"]?["url"] == nil)
        #expect(payload["platformMetadata"]?["endpoints"] == .array([.object(["name": .string("vnc"), "port": .int(3000)])]))
    }

    @Test func runningWithAURLButNoPortIsNotReady() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .running, endpoints: [Endpoint(name: "vnc", url: "http://h:1")]))
        #expect(payload["vncReady"] == .bool(false))
        #expect(payload["vncPort"] == .int(0))
        #expect(payload["platformMetadata"]?["url"] == .string("http://h:1"))
    }

    @Test func runningWithoutEndpointsIsNotReady() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .running))
        #expect(payload["vncReady"] == .bool(false))
        #expect(payload["vncPort"] == .int(0))
        #expect(payload["platformMetadata"] == .object([:]))
    }

    @Test func theViewerIsTheVNCEndpointElseTheFirst() {
        let http = Endpoint(name: "http", port: 8443, url: "https://h:8443")
        let both = SessionStatus(sessionId: "s", state: .running, endpoints: [http, Self.vnc])
        #expect(CommandTranslation.viewerEndpoint(both) == Self.vnc)
        #expect(Self.statusPayload(both)["vncPort"] == .int(3000))
        #expect(Self.statusPayload(both)["platformMetadata"]?["url"] == .string("http://203.0.113.7:49153"))
        let onlyHTTP = SessionStatus(sessionId: "s", state: .running, endpoints: [http, Endpoint(name: "audio", port: 4713)])
        #expect(CommandTranslation.viewerEndpoint(onlyHTTP) == http)
        #expect(Self.statusPayload(onlyHTTP)["vncReady"] == .bool(true))
        #expect(Self.statusPayload(onlyHTTP)["vncPort"] == .int(8443))
    }

    /// The server takes only running, hibernated, terminated and failed from an agent, and sets
    /// "pending" itself: a session still starting gets no status until it runs or fails.
    @Test func startingSendsNoStatus() {
        #expect(CommandTranslation.statusMessage(SessionStatus(sessionId: "s-1", state: .starting, endpoints: [Self.vnc])) == nil)
    }

    /// A session the server holds as running goes back to starting by itself (its pod deleted
    /// and being replaced): still running for the server, but not viewable until it runs again.
    /// One the server never saw running (a start in progress) still gets nothing.
    @Test func aRunningSessionStartingAgainIsRunningButNotViewable() throws {
        let running = SessionStatus(sessionId: "s-1", state: .running, endpoints: [Self.vnc])
        let again = SessionStatus(sessionId: "s-1", state: .starting, platformMetadata: ["podName": .string("ss-s-1-new")])
        let message = try #require(CommandTranslation.statusMessage(again, after: running))
        #expect(message.payload["state"] == .string("running"))
        #expect(message.payload["vncReady"] == .bool(false))
        #expect(message.payload["vncPort"] == .int(0))
        #expect(message.payload["platformMetadata"]?["podName"] == .string("ss-s-1-new"))
        #expect(GoTypes.mismatch(type: "status", payload: message.payload) == nil)
        #expect(CommandTranslation.statusMessage(again, after: nil) == nil)
        #expect(CommandTranslation.statusMessage(again, after: again) == nil, "the server was told already")
        #expect(CommandTranslation.statusMessage(running, after: again)?.payload == CommandTranslation.statusMessage(running)?.payload)
    }

    @Test func anEmptyURLIsNotReady() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .running,
                                                       endpoints: [Endpoint(name: "vnc", port: 3000, url: "")]))
        #expect(payload["vncReady"] == .bool(false))
        #expect(payload["vncPort"] == .int(0))
    }

    @Test(arguments: [(SessionState.hibernated, "hibernated"), (.failed, "failed"), (.terminated, "terminated")])
    func otherStatesMapToTheirNameAndAreNeverReady(_ state: SessionState, _ expected: String) {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: state, endpoints: [Self.vnc]))
        #expect(payload["state"] == .string(expected))
        #expect(payload["vncReady"] == .bool(false))
        #expect(payload["vncPort"] == .int(0))
    }

    @Test func aFailureMessageGoesIntoPlatformMetadata() {
        let payload = Self.statusPayload(SessionStatus(sessionId: "s-1", state: .failed,
                                                       platformMetadata: ["containerName": .string("ss-s-1")],
                                                       message: "image lscr.io/linuxserver/firefox:latest not found"))
        #expect(payload["state"] == .string("failed"))
        #expect(payload["platformMetadata"] == .object(["containerName": .string("ss-s-1"),
                                                        "message": .string("image lscr.io/linuxserver/firefox:latest not found")]))
    }

    @Test(arguments: SessionState.allCases)
    func everyStatusPayloadIsOneGoAccepts(_ state: SessionState) throws {
        var generator = SeededGenerator(seed: UInt64(state.rawValue.utf8.count))
        for _ in 0..<50 {
            var metadata: [String: JSONValue] = [:]
            for _ in 0..<3 { metadata[generator.string()] = generator.jsonValue() }
            let endpoints = (0..<Int.random(in: 0...3, using: &generator)).map { index in
                Endpoint(name: ["vnc", "http", "audio"][index], port: Bool.random(using: &generator) ? 3000 + index : nil,
                         url: Bool.random(using: &generator) ? "http://h:\(49153 + index)" : nil)
            }
            let status = SessionStatus(sessionId: "alice-firefox-1a2b3c4d", state: state, endpoints: endpoints,
                                       platformMetadata: metadata, message: Bool.random(using: &generator) ? generator.string() : nil)
            guard let message = CommandTranslation.statusMessage(status) else {
                #expect(state == .starting, "only a starting session has no status message")
                continue
            }
            #expect(GoTypes.mismatch(type: "status", payload: message.payload) == nil)
            let wire = try Message.decode(message.encoded()).get()
            #expect(GoTypes.mismatch(type: "status", payload: wire.payload) == nil)
            // The server shows a URL only when vncReady && vncPort > 0: never one without the other.
            #expect(wire.payload["vncReady"] == .bool((wire.payload["vncPort"]?.intValue ?? 0) > 0))
        }
    }
}
