import DriverModel
@testable import KubernetesDriver
import Testing

/// The driver config's `namespaces` and where a command's namespace places a session.
@Suite struct KubernetesConfigurationTests {
    static func configuration(_ members: [String: JSONValue]) throws(DriverError) -> KubernetesConfiguration {
        try KubernetesConfiguration(.object(members))
    }

    @Test func withoutNamespacesOnlyTheMainOneIsAllowed() throws {
        let configuration = try Self.configuration([:])
        #expect(configuration.allowedNamespaces(main: "streamspace") == ["streamspace"])
        #expect(try configuration.placement(nil, main: "streamspace") == "streamspace")
        #expect(try configuration.placement("streamspace", main: "streamspace") == "streamspace")
        let error = try #require(throws: DriverError.self) { try configuration.placement("team-a", main: "streamspace") }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("\"team-a\""))
        #expect(error.message.contains("\"namespaces\""))
    }

    @Test func namespacesAddToTheMainOneWithoutRepeats() throws {
        let configuration = try Self.configuration(["namespaces": .array([.string("team-a"), .string("streamspace"), .string("team-a")])])
        #expect(configuration.namespaces == ["team-a", "streamspace"])
        #expect(configuration.allowedNamespaces(main: "streamspace") == ["streamspace", "team-a"])
        #expect(try configuration.placement("team-a", main: "streamspace") == "team-a")
        #expect(throws: DriverError.self) { try configuration.placement("team-b", main: "streamspace") }
    }

    @Test func aNamespacesValueOfTheWrongTypeIsAnErrorNamingTheKey() throws {
        for value: JSONValue in [.string("team-a"), .array([.int(1)]), .object([:]), .bool(true)] {
            let error = try #require(throws: DriverError.self) { try Self.configuration(["namespaces": value]) }
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("\"namespaces\""), "\(error.message)")
        }
        #expect(try Self.configuration(["namespaces": .null]).namespaces.isEmpty)
    }

    @Test func aNamespaceThatIsNotADNSLabelIsRefused() throws {
        for bad in ["Team", "a_b", "", String(repeating: "a", count: 64), "a\nb", "-a"] {
            let error = try #require(throws: DriverError.self) { try Self.configuration(["namespaces": .array([.string("ok"), .string(bad)])]) }
            #expect(error.message.contains("\"namespaces\"[1]") || error.message.contains("\"namespaces\" [1]"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func anUntrustedNamespaceIsQuotedOnOneLine() throws {
        let configuration = try Self.configuration([:])
        let error = try #require(throws: DriverError.self) { try configuration.placement("x\ny", main: "streamspace") }
        #expect(!error.message.contains("\n"))
    }
}
