@testable import AgentHost
import DriverModel
import Testing

/// `--policy`: what the file may say, how it is refused when wrong, and what it refuses.
@Suite struct LocalPolicyTests {
    static let policy = try! LocalPolicy.parse(Array(#"""
        {"allowedImages": ["lscr.io/linuxserver/*", "registry.local/desk:?"], "maxCpuPerSession": "2",
         "maxMemoryPerSession": "4Gi", "maxSessions": 20, "allowedPorts": [3000, "8000-8100"]}
        """#.utf8))

    static func spec(image: String = "lscr.io/linuxserver/firefox:latest", cpu: String = "1", memory: String = "2Gi",
                     ports: [Int] = [3000]) throws -> SessionSpec {
        SessionSpec(id: "alice-firefox-1a2b3c4d", user: "alice",
                    template: .init(image: image, ports: ports.enumerated().map { .init(name: "p\($0.offset)", port: $0.element) }),
                    resources: try .init(cpu: cpu, memory: memory))
    }

    @Test func theFileIsReadAsWritten() {
        #expect(Self.policy.allowedImages == ["lscr.io/linuxserver/*", "registry.local/desk:?"])
        #expect(Self.policy.maxCPUMillicores == 2000 && Self.policy.maxMemoryBytes == 4 << 30 && Self.policy.maxSessions == 20)
        #expect(Self.policy.allowedPorts == [3000...3000, 8000...8100])
    }

    @Test func aSpecWithinThePolicyPasses() throws {
        #expect(Self.policy.violation(try Self.spec()) == nil)
        #expect(Self.policy.violation(try Self.spec(image: "registry.local/desk:7", cpu: "2000m", memory: "4Gi", ports: [8100, 3000])) == nil)
        #expect(LocalPolicy().violation(try Self.spec(image: "anything/at:all", cpu: "64", ports: [22])) == nil, "no policy: anything")
    }

    @Test(arguments: [
        (try! spec(image: "docker.io/evil/miner:1"), #"image "docker.io/evil/miner:1" is not allowed on this host (allowed: lscr.io/linuxserver/*, registry.local/desk:?)"#),
        (try! spec(image: "registry.local/desk:10"), #"image "registry.local/desk:10" is not allowed"#),
        (try! spec(cpu: "2001m"), "cpu 2001m is over this host's limit of 2000m per session"),
        (try! spec(memory: "5Gi"), "memory 5Gi is over this host's limit of 4294967296 bytes per session"),
        (try! spec(ports: [3000, 22]), "port 22 (p1) is not allowed on this host (allowed: 3000, 8000-8100)"),
    ])
    func aSpecBeyondThePolicyIsRefusedSayingWhy(_ spec: SessionSpec, _ reason: String) {
        #expect(Self.policy.violation(spec)?.hasPrefix(reason) == true, "\(Self.policy.violation(spec) ?? "allowed")")
    }

    /// A policy file that says something wrong stops the agent: it must not run less protected
    /// than its operator thinks.
    @Test(arguments: [
        (#"{"allowedImage": ["x"]}"#, #"unknown key "allowedImage""#),
        (#"{"maxCpuPerSession": 2}"#, "maxCpuPerSession: expected a CPU quantity string"),
        (#"{"maxMemoryPerSession": "lots"}"#, "maxMemoryPerSession: expected a memory quantity string"),
        (#"{"maxSessions": "20"}"#, "maxSessions: expected an integer"),
        (#"{"allowedPorts": [70000]}"#, "allowedPorts: 70000 is not a port"),
        (#"{"allowedPorts": ["9000-8000"]}"#, "allowedPorts: \"9000-8000\" is not a port"),
        (#"{"allowedImages": "lscr.io/*"}"#, "allowedImages: expected an array"),
        (#"{"allowedImages": ["a\nb"]}"#, "allowedImages: every pattern must be"),
        ("[]", "expected a JSON object"),
        ("{", "not JSON"),
    ])
    func aWrongPolicyIsRefused(_ text: String, _ reason: String) {
        let error = #expect(throws: DriverError.self) { try LocalPolicy.parse(Array(text.utf8)) }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "accepted")")
    }

    @Test func aMissingFileIsNamed() {
        let error = #expect(throws: LinkError.self) { try LocalPolicy.load(path: "/nonexistent/policy.json") }
        #expect(error?.description == "--policy /nonexistent/policy.json: cannot read it: No such file or directory")
    }
}
