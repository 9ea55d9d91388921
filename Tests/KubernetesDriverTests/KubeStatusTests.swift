import DriverModel
@testable import KubernetesDriver
import Testing

/// The API server's refusals (captured Status objects) as one line naming the fix.
@Suite struct KubeStatusTests {
    func error(_ file: String, status: Int) throws -> DriverError {
        KubeStatus.error(status: status, body: try KubeFixtures.json(file), fallback: "", what: "doing it")
    }

    @Test func forbiddenNamesTheVerbResourceAndRole() throws {
        let body = try KubeFixtures.json("status-forbidden-nodes-403.json")
        let message = try #require(body["message"]?.stringValue)
        let denied = try #require(KubeStatus.Forbidden(message))
        #expect(denied.verb == "list")
        #expect(denied.resource == "nodes")
        let error = try error("status-forbidden-nodes-403.json", status: 403)
        #expect(error.code == .failedPrecondition)
        #expect(error.message.contains("may not list nodes"))
        #expect(error.message.contains("deploy/kubernetes/role.yaml"))

        let namespaced = KubeStatus.Forbidden(#"pods is forbidden: User "system:serviceaccount:ss:agent" cannot watch resource "pods" in API group "" in the namespace "ss""#)
        #expect(namespaced?.user == "system:serviceaccount:ss:agent")
        #expect(namespaced?.verb == "watch")
        #expect(namespaced?.resource == "pods")
        #expect(namespaced?.namespace == "ss")
        #expect(denied.namespace == nil)  // "at the cluster scope"
    }

    @Test func unauthorizedNamesTheCredentials() throws {
        let error = try error("status-unauthorized-401.json", status: 401)
        #expect(error.message.contains("refused the agent's credentials"))
    }

    @Test func otherRefusalsCarryTheServersMessage() throws {
        let missing = try error("status-missing-namespace-404.json", status: 404)
        #expect(missing.code == .notFound)
        #expect(missing.message.contains("does-not-exist"))
        #expect(try error("status-create-deployment-conflict-409.json", status: 409).code == .alreadyExists)
        let invalid = try error("status-create-service-invalid-422.json", status: 422)
        #expect(invalid.code == .invalidArgument)
        #expect(invalid.message.contains("Invalid"))
    }
}
