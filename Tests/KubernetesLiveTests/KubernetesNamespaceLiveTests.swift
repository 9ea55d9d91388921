import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// Sessions in a second namespace the driver config allows (`namespaces`), with the agent's Role
/// bound there by the admin as deploy/kubernetes binds it in its own.
@Suite(.serialized, kubeTrait) struct KubernetesNamespaceLiveTests {
    static let second = "streamspace-two"

    /// The namespace, the Role and a RoleBinding to the agent's service account, applied as admin.
    static func bindTheRoleInTheSecondNamespace() throws {
        try KubeTest.bindRoles([], in: second)
    }

    @Test func aSessionStartsStopsAndIsFoundInTheSecondNamespace() async throws {
        try Self.bindTheRoleInTheSecondNamespace()
        let id = KubeTest.sessionID("ns")
        defer { _ = try? KubeTest.kubectl(["delete", "deployment,service", "-l", "streamspace.io/session=\(id)", "--wait=false"], namespace: Self.second) }
        let driver = try await KubeTest.loadDriver(config: ["namespaces": [Self.second]])
        var spec = try KubernetesLiveTests.spec(id)
        spec.labels["streamspace.io/namespace"] = Self.second
        #expect(try await driver.start(spec).state == .running)
        #expect(try KubeTest.object("deployment", "ss-\(id)", namespace: Self.second) != nil)
        #expect(try KubeTest.object("service", id, namespace: Self.second) != nil)
        #expect(try KubeTest.object("deployment", "ss-\(id)") == nil)  // not in the main namespace

        // Found by id alone, across the allowed namespaces.
        #expect(try await driver.session(id).state == .running)
        #expect(try await driver.sessions().contains { $0.sessionId == id })
        #expect(try await driver.hibernate(id).state == .hibernated)
        #expect(try await driver.wake(id).state == .running)

        // A stop without a namespace finds it too.
        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        #expect(try KubeTest.object("deployment", "ss-\(id)", namespace: Self.second) == nil)
        #expect(try KubeTest.object("service", id, namespace: Self.second) == nil)

        await driver.destroy()
    }

    @Test func aNamespaceTheConfigDoesNotAllowIsRefusedByName() async throws {
        let id = KubeTest.sessionID("nsno")
        let driver = try await KubeTest.loadDriver()
        var spec = try KubernetesLiveTests.spec(id)
        spec.labels["streamspace.io/namespace"] = Self.second
        let error = await #expect(throws: DriverError.self) { try await driver.start(spec) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("\"\(Self.second)\"") == true, "\(String(describing: error))")
        #expect(error?.message.contains("\"namespaces\"") == true)
        #expect(try KubeTest.object("deployment", "ss-\(id)", namespace: Self.second) == nil)
        await driver.destroy()
    }
}
