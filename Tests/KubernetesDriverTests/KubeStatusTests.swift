import DriverModel
@testable import KubernetesDriver
import PlatformKit
import Testing

/// The API server's refusals (captured Status objects) as the driver reports them: one line
/// naming the fix, the code from PlatformKit's one mapping (whose own wording tests are
/// KubernetesRefusalTests).
@Suite struct KubeStatusTests {
    func error(_ file: String, status: Int) throws -> DriverError {
        KubeStatus.error(status: status, body: try KubeFixtures.json(file), fallback: "", what: "doing it")
    }

    @Test func forbiddenNamesTheVerbResourceAndRole() throws {
        let error = try error("status-forbidden-nodes-403.json", status: 403)
        #expect(error.code == .failedPrecondition)
        #expect(error.message.hasPrefix("kubernetes: doing it: "))
        #expect(error.message.contains("may not list nodes"))
        #expect(error.message.contains("deploy/kubernetes/node-reader.yaml"))
    }

    @Test func unauthorizedNamesTheCredentials() throws {
        let error = try error("status-unauthorized-401.json", status: 401)
        #expect(error.code == .failedPrecondition)
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

    @Test func aBusyServerSaysWhenToComeBack() throws {
        let response = PlatformResponse(status: 429, headers: ["Retry-After": "3"],
                                        body: Array(#"{"kind":"Status","code":429,"reason":"TooManyRequests","message":"too many requests"}"#.utf8))
        let error = KubeStatus.error(status: 429, body: try response.json(), fallback: "", what: "listing", response: response)
        #expect(error.code == .unavailable)
        #expect(error.retryAfterMs == 3000)
    }
}
