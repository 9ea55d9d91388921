import DriverModel
@testable import KubernetesDriver
import Testing

/// The objects a session becomes, compared with what the real API server was sent in the
/// captures (Tests/Fixtures/kubernetes/*-create-request.json), and the specs it must refuse.
@Suite struct SessionManifestTests {
    static let spec = SessionSpec(
        id: "demo-firefox-1a2b3c4d", user: "demo",
        template: .init(name: "firefox", image: "lscr.io/linuxserver/firefox:latest", env: ["TZ": "UTC", "A": "1"],
                        ports: [.init(name: "vnc", port: 3000)]),
        resources: try! .init(cpu: "1", memory: "2Gi"))
    let manifests = SessionManifests(namespace: "streamspace", storageClass: "fast", homeSize: "5Gi")

    @Test func theDeploymentHasTheCapturedShapeAndOurLabels() throws {
        let deployment = try manifests.deployment(Self.spec)
        let captured = try KubeFixtures.json("deployment-create-request.json")
        #expect(deployment["apiVersion"] == captured["apiVersion"])
        #expect(deployment["kind"] == captured["kind"])
        #expect(deployment["spec"]?["replicas"] == .int(1))
        let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first)
        let capturedContainer = try #require(captured["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first)
        #expect(container["image"] == capturedContainer["image"])
        #expect(container["resources"] == capturedContainer["resources"])  // requests = limits
        #expect(container["ports"]?.arrayValue?.first?["containerPort"] == .int(3000))
        #expect(container["readinessProbe"] == .object(["tcpSocket": .object(["port": .string("vnc")]), "periodSeconds": .int(1)]))
        #expect(container["env"] == .array([.object(["name": .string("A"), "value": .string("1")]),
                                            .object(["name": .string("TZ"), "value": .string("UTC")])]))
        let labels = try #require(deployment["metadata"]?["labels"]?.objectValue)
        #expect(labels == ["streamspace.io/managed": .string("true"), "streamspace.io/session": .string(Self.spec.id),
                           "streamspace.io/user": .string("demo"), "streamspace.io/template": .string("firefox")])
        #expect(deployment["spec"]?["template"]?["metadata"]?["labels"]?.objectValue == labels)
        // The selector must select the template's labels or the API server answers 422.
        for (key, value) in try #require(deployment["spec"]?["selector"]?["matchLabels"]?.objectValue) {
            #expect(labels[key] == value)
        }
        #expect(deployment["metadata"]?["name"] == .string("ss-demo-firefox-1a2b3c4d"))
        #expect(deployment["metadata"]?["annotations"]?["streamspace.io/ports"] == .string("vnc=3000/tcp"))
        #expect(deployment["spec"]?["template"]?["spec"]?["automountServiceAccountToken"] == .bool(false))
    }

    @Test func theServiceIsNamedTheSessionAndOwnedByTheDeployment() throws {
        let service = try #require(manifests.service(Self.spec, ownerUID: "uid-1"))
        let captured = try KubeFixtures.json("service-create-request.json")
        #expect(service["metadata"]?["name"] == captured["metadata"]?["name"])
        #expect(service["spec"]?["ports"]?.arrayValue?.first?["port"] == .int(3000))
        #expect(service["spec"]?["ports"]?.arrayValue?.first?["targetPort"] == .int(3000))
        #expect(service["spec"]?["type"] == .string("ClusterIP"))
        let owner = try #require(service["metadata"]?["ownerReferences"]?.arrayValue?.first)
        #expect(owner["kind"] == .string("Deployment"))
        #expect(owner["uid"] == .string("uid-1"))
        #expect(owner["name"] == .string("ss-demo-firefox-1a2b3c4d"))
        var portless = Self.spec
        portless.template.ports = []
        #expect(manifests.service(portless, ownerUID: "u") == nil)
    }

    @Test func aPersistentHomeMountsTheUsersClaim() throws {
        var spec = Self.spec
        spec.persistentHome = true
        let podSpec = try #require(try manifests.deployment(spec)["spec"]?["template"]?["spec"])
        #expect(podSpec["volumes"]?.arrayValue?.first?["persistentVolumeClaim"]?["claimName"] == .string("home-demo"))
        #expect(podSpec["containers"]?.arrayValue?.first?["volumeMounts"]?.arrayValue?.first?["mountPath"] == .string("/config"))
        spec.template.volumeMounts = [.init(name: "data", mountPath: "/data")]
        let mounts = try #require(try manifests.deployment(spec)["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["volumeMounts"]?.arrayValue)
        #expect(mounts == [.object(["name": .string("home"), "mountPath": .string("/data"), "subPath": .string("data")])])

        let claim = manifests.homeClaim(user: "demo", session: "demo-firefox-1a2b3c4d")
        #expect(claim["metadata"]?["name"] == .string("home-demo"))
        #expect(claim["metadata"]?["labels"]?["session.streamspace.io/demo-firefox-1a2b3c4d"] == .string("true"),
                "what finds the home from the session once its Deployment is gone")
        #expect(claim["metadata"]?["labels"]?["streamspace.io/user"] == .string("demo"))
        #expect(claim["spec"]?["storageClassName"] == .string("fast"))
        #expect(claim["spec"]?["resources"]?["requests"]?["storage"] == .string("5Gi"))
        #expect(claim["spec"]?["accessModes"] == .array([.string("ReadWriteOnce")]))
        #expect(claim["metadata"]?["ownerReferences"] == nil)  // kept across sessions
    }

    @Test func withoutAHomeTemplateMountsAreEmptyDirs() throws {
        var spec = Self.spec
        spec.template.volumeMounts = [.init(name: "cache", mountPath: "/cache")]
        let podSpec = try #require(try manifests.deployment(spec)["spec"]?["template"]?["spec"])
        #expect(podSpec["volumes"] == .array([.object(["name": .string("cache"), "emptyDir": .object([:])])]))
    }

    @Test func whatKubernetesWouldRefuseIsRefusedFirst() throws {
        func refused(_ change: (inout SessionSpec) -> Void) throws -> String {
            var spec = Self.spec
            change(&spec)
            let error = try #require(throws: DriverError.self) { try manifests.deployment(spec) }
            #expect(error.code == .invalidArgument)
            return error.message
        }
        #expect(try refused { $0.template.ports = [.init(name: "vnc", port: 0)] }.contains("from 1 to 65535"))
        #expect(try refused { $0.template.ports = [.init(name: "vnc", port: 70000)] }.contains("\"vnc\" is 70000"))
        #expect(try refused { $0.template.ports = [.init(name: "VNC_port", port: 80)] }.contains("port name"))
        #expect(try refused { $0.template.ports = [.init(name: "a", port: 80, protocol: "icmp")] }.contains("protocol"))
        #expect(try refused { $0.template.ports = [.init(name: "a", port: 80), .init(name: "a", port: 81)] }.contains("repeats"))
        #expect(try refused { $0.template.image = "bad image" }.contains("image"))
        #expect(try refused { $0.template.env = ["A=B": "x"] }.contains("env name"))
        #expect(try refused { $0.template.volumeMounts = [.init(name: "Data", mountPath: "/d")] }.contains("volume mount name"))
        #expect(try refused { $0.template.volumeMounts = [.init(name: "d", mountPath: "../etc")] }.contains("absolute"))
        #expect(try refused { $0.id = "Upper-Case" }.contains("session id"))
        #expect(try refused { $0.user = "a user" }.contains("user"))
    }
}
