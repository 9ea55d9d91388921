import DriverModel
import Foundation
import NIOHTTP1
@testable import PlatformKit
import Testing

/// Kubernetes' Status objects, as a real kube-apiserver 1.32 sent them
/// (Tests/Fixtures/kubernetes/status-errors.json), read into one line and one code.
@Suite struct KubernetesRefusalTests {
    static let expected: [String: (status: Int, code: DriverStatusCode, message: String)] = [
        "create-deployment-conflict-409": (409, .alreadyExists, #"deployments.apps "ss-demo-1" already exists"#),
        "create-service-invalid-422": (422, .invalidArgument, #"Service "bad-port" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"#),
        "get-deployment-missing-404": (404, .notFound, #"deployments.apps "nope" not found"#),
        "missing-namespace-404": (404, .notFound, #"namespaces "does-not-exist" not found"#),
        "namespace-mismatch-400": (400, .invalidArgument, "the namespace of the provided object does not match the namespace sent on the request"),
        "patch-wrong-content-type-415": (415, .internal, "415: Unsupported Media Type"),
        "watch-too-old-410": (410, .notFound, "too old resource version: 1 (379)"),
        "unauthorized-401": (401, .failedPrecondition,
                             "the API server refused the agent's credentials: check the token or client certificate of the kubeconfig's user (in a pod: its service account token)"),
        "forbidden-nodes-403": (403, .failedPrecondition,
                                "the agent's account may not list nodes at the cluster scope: grant it in a ClusterRole bound to the account (deploy/kubernetes/node-reader.yaml)"),
    ]

    @Test func everyCapturedStatusGetsItsCodeAndItsLine() throws {
        let path = "\(TestSupport.packageRoot)/Tests/Fixtures/kubernetes/status-errors.json"
        let captures = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let names = try #require(captures.objectValue).keys.sorted()
        #expect(names == Self.expected.keys.sorted(), "every capture has a row, every row a capture")
        for name in names {
            let capture = captures[name]!
            let refusal = try #require(PlatformRefusal.kubernetes(httpStatus: Int(capture["status"]!.intValue!), body: capture["body"]))
            let want = try #require(Self.expected[name])
            #expect(refusal.status == want.status, "\(name)")
            #expect(refusal.code == want.code, "\(name): \(refusal)")
            #expect(refusal.message == want.message, "\(name)")
        }
    }

    @Test func aNamespacedForbiddenNamesVerbResourceNamespaceAndTheRoleFile() throws {
        let body = try JSONValue(parsing: Array(#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"deployments.apps is forbidden: User \"system:serviceaccount:streamspace:agent\" cannot patch resource \"deployments/scale\" in API group \"apps\" in the namespace \"sessions\"","details":{"group":"apps","kind":"deployments"}}"#.utf8))
        let refusal = try #require(PlatformRefusal.kubernetes(httpStatus: 403, body: body))
        #expect(refusal.message == "the agent's account may not patch deployments/scale.apps in namespace sessions: add it to its Role (deploy/kubernetes/role.yaml)")
        #expect(refusal.reason == "Forbidden")
    }

    @Test func aForbiddenTextOfAnotherShapeIsKeptWhole() throws {
        let body = JSONValue.object(["kind": .string("Status"), "code": .int(403), "message": .string("admission webhook denied it")])
        let refusal = try #require(PlatformRefusal.kubernetes(httpStatus: 403, body: body))
        #expect(refusal.message == "the agent's account is not allowed this: admission webhook denied it")
    }

    @Test func aStaleWriteIsAPreconditionAndANonStatusBodyFallsBack() throws {
        let conflict = JSONValue.object(["kind": .string("Status"), "code": .int(409), "reason": .string("Conflict"),
                                         "message": .string(#"Operation cannot be fulfilled on deployments.apps "x": the object has been modified"#)])
        #expect(PlatformRefusal.kubernetes(httpStatus: 409, body: conflict)?.code == .failedPrecondition)
        let proxy = PlatformRefusal.kubernetes(httpStatus: 502, body: nil, fallback: "Bad Gateway")
        #expect(proxy == PlatformRefusal(status: 502, message: "Bad Gateway"))
        #expect(PlatformRefusal.kubernetes(httpStatus: 201, body: conflict) == nil)
    }

    @Test func retryAfterInSecondsOrAsAnHTTPDateBecomesTheErrorsDelay() throws {
        let now: Int64 = 784_111_777 // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.epochSeconds(httpDate: "Sun, 06 Nov 1994 08:49:37 GMT") == now)
        #expect(RetryAfter.milliseconds("120", now: now) == 120_000)
        #expect(RetryAfter.milliseconds("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == 30_000)
        #expect(RetryAfter.milliseconds("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == 0, "a date gone by: at once")
        #expect(RetryAfter.milliseconds("99999999999999999999999", now: now) == RetryAfter.maxSeconds * 1000)
        #expect(RetryAfter.milliseconds("soon", now: now) == nil)
        #expect(RetryAfter.milliseconds("-5", now: now) == nil)
        let busy = PlatformResponse(status: 429, headers: ["Retry-After": "7"], body: [])
        let error = PlatformRefusal(status: 429, message: "too many requests", reason: "TooManyRequests")
            .retrying(after: busy, now: now).error("Kubernetes", what: "GET /api/v1/pods")
        #expect(error == DriverError(.unavailable, "Kubernetes: GET /api/v1/pods: too many requests", retryAfterMs: 7000))
        let notBusy = PlatformResponse(status: 404, headers: ["Retry-After": "7"], body: [])
        #expect(PlatformRefusal(status: 404, message: "x").retrying(after: notBusy, now: now).retryAfterMs == nil,
                "Retry-After counts on 429 and 503 only")
    }
}
