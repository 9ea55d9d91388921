import DriverModel
import Testing

@Suite struct ModelTests {
    @Test(arguments: [
        ("1000m", Int64(1000)), ("500m", 500), ("1", 1000), ("2", 2000), ("0.5", 500), ("1.25", 1250),
    ])
    func cpuQuantities(_ text: String, _ millicores: Int64) {
        #expect(ResourceQuantity.cpuMillicores(text) == millicores)
    }

    @Test(arguments: ["", "m", "-1", "0", "1e3", " 1", "1 ", "abc", "1.2.3", "0m"])
    func invalidCPUQuantities(_ text: String) {
        #expect(ResourceQuantity.cpuMillicores(text) == nil)
    }

    @Test(arguments: [
        ("2Gi", Int64(2) << 30), ("512Mi", 512 << 20), ("1G", 1_000_000_000), ("100", 100),
        ("1.5Gi", 3 << 29), ("4Ki", 4096), ("1k", 1000),
    ])
    func memoryQuantities(_ text: String, _ bytes: Int64) {
        #expect(ResourceQuantity.bytes(text) == bytes)
    }

    @Test(arguments: ["", "Gi", "-2Gi", "2GB", "2 Gi", "0", "2gi", "99999999999Pi"])
    func invalidMemoryQuantities(_ text: String) {
        #expect(ResourceQuantity.bytes(text) == nil)
    }

    @Test func resourcesThrowNamingTheBadQuantity() {
        #expect(throws: DriverError(.invalidArgument, "invalid memory quantity \"2GB\" (examples: 512Mi, 2Gi, 1G)")) {
            try SessionSpec.Resources(cpu: "1", memory: "2GB")
        }
    }

    @Test(arguments: ["alice-firefox-1a2b3c4d", "a", "0", "a.b_c-d", String(repeating: "x", count: 100)])
    func validSessionIDs(_ id: String) {
        #expect(SessionID.isValid(id))
    }

    @Test(arguments: ["", "-a", "a-", "A", "a/b", "../x", "a b", "a;b", "a$(x)", "a\nb", "é",
                      String(repeating: "x", count: 101)])
    func invalidSessionIDs(_ id: String) {
        #expect(!SessionID.isValid(id))
    }

    static let good = SessionSpec(id: "alice-firefox-1a2b3c4d", user: "alice",
                                  template: .init(name: "firefox", image: "lscr.io/linuxserver/firefox:latest",
                                                  env: ["TZ": "UTC"], ports: [.init(name: "vnc", port: 3000)],
                                                  volumeMounts: [.init(name: "home", mountPath: "/config")]))

    @Test func aGoodSpecPasses() throws {
        try Self.good.validate()
    }

    @Test func badSpecsNameTheirProblem() {
        let cases: [(String, (inout SessionSpec) -> Void)] = [
            ("template.image is empty", { $0.template.image = "" }),
            ("white space", { $0.template.image = "a b" }),
            ("template.ports[0].port 0 is not 1–65535", { $0.template.ports[0].port = 0 }),
            ("used twice", { $0.template.ports.append(.init(name: "vnc", port: 80)) }),
            ("tcp or udp", { $0.template.ports[0].protocol = "sctp" }),
            ("absolute path", { $0.template.volumeMounts[0].mountPath = "relative" }),
            ("absolute path", { $0.template.volumeMounts[0].mountPath = "/config/../etc" }),
            ("template.env name", { $0.template.env["1BAD"] = "x" }),
            ("NUL", { $0.template.env["X"] = "a\0b" }),
            ("user is empty", { $0.user = "" }),
            ("session id", { $0.id = "Bad" }),
            ("control characters", { $0.labels["k"] = "line\nbreak" }),
        ]
        for (expected, change) in cases {
            var spec = Self.good
            change(&spec)
            #expect(spec.firstProblem()?.contains(expected) == true, "\(expected): \(spec.firstProblem() ?? "no problem found")")
        }
    }

    @Test func specDecodesWithDefaultsAndIgnoresUnknownFields() throws {
        let json = #"{"id":"s1","user":"u","template":{"image":"busybox"},"future":{"x":1}}"#
        let spec = try JSONCoding.decode(SessionSpec.self, from: Array(json.utf8), what: "spec")
        #expect(spec.resources == SessionSpec.Resources())
        #expect(spec.template.ports.isEmpty && !spec.persistentHome && spec.labels.isEmpty)
    }

    @Test func decodingErrorsNameTheField() {
        #expect(throws: DriverError(.invalidArgument, "spec: missing field \"image\" in /template")) {
            try JSONCoding.decode(SessionSpec.self, from: Array(#"{"id":"s","user":"u","template":{}}"#.utf8), what: "spec")
        }
        #expect(throws: DriverError(.invalidArgument, "spec: /template/ports/0/port must be an integer")) {
            try JSONCoding.decode(SessionSpec.self, from: Array(#"{"id":"s","user":"u","template":{"image":"i","ports":[{"name":"a","port":"80"}]}}"#.utf8), what: "spec")
        }
    }

    @Test func errorObjectsRoundTrip() throws {
        let error = DriverError(.unavailable, "docker daemon not reachable at /var/run/docker.sock", retryAfterMs: 5000)
        let decoded = DriverError(status: .unavailable, errorJSON: JSONCoding.encode(error.json))
        #expect(decoded == error)
        #expect(DriverError(status: .internal, errorJSON: Array("not json".utf8)).message == "driver gave no error message")
    }
}

/// The fast decoder for driver replies agrees with the Codable one, and refuses the same.
@Suite struct FastDecodingTests {
    static let valid = [
        #"{"sessionId":"s1","state":"running","endpoints":[{"name":"vnc","port":3000,"url":"http://h:1"}],"platformMetadata":{"a":[1,{"b":null}]},"future":true}"#,
        #"{"sessionId":"s2","state":"terminated"}"#,
        #"{"sessionId":"s3","state":"failed","message":"image missing","endpoints":[],"platformMetadata":null}"#,
        #"{"sessionId":"s4","state":"hibernated","endpoints":[{"name":"http"}]}"#,
    ]

    @Test(arguments: valid)
    func agreesWithCodable(_ text: String) throws {
        let fast = try SessionStatus(jsonValue: try StrictJSON.parse(text))
        let codable = try JSONCoding.decode(SessionStatus.self, from: Array(text.utf8), what: "status")
        #expect(fast == codable)
    }

    @Test(arguments: [
        #"{"state":"running"}"#, #"{"sessionId":"s","state":"paused"}"#, #"{"sessionId":1,"state":"running"}"#,
        #"{"sessionId":"s","state":"running","endpoints":{}}"#, #"{"sessionId":"s","state":"running","endpoints":[{"port":1}]}"#,
        #"{"sessionId":"s","state":"running","endpoints":[{"name":"a","port":"80"}]}"#, #"[]"#,
    ])
    func refusesWhatCodableRefuses(_ text: String) throws {
        let value = try StrictJSON.parse(text)
        #expect(throws: DriverError.self) { try SessionStatus(jsonValue: value) }
        #expect(throws: DriverError.self) { try JSONCoding.decode(SessionStatus.self, from: Array(text.utf8), what: "status") }
    }

    @Test func listsDecode() throws {
        let text = #"{"sessions":[\#(Self.valid[0]),\#(Self.valid[1])]}"#
        let list = try SessionList(jsonValue: try StrictJSON.parse(text))
        #expect(list == (try JSONCoding.decode(SessionList.self, from: Array(text.utf8), what: "list")))
    }
}
