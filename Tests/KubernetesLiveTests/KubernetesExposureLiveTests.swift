import AgentHost
import AgentTestSupport
import DriverModel
import Foundation
import Testing

/// `expose`: sessions reached from outside through a NodePort, a LoadBalancer or an Ingress, each
/// in a namespace of its own where the admin bound the base Role and the mode's optional one, so
/// the agent's calls are checked against exactly those (KubernetesRoleTests.checkLifecycle).
/// Pods run in Docker when the sandbox has it: the public URL is then fetched for real (the test
/// API server's userspace proxy relays node ports and load-balancer addresses to the pod).
@Suite(.serialized, kubeTrait) struct KubernetesExposureLiveTests {
    static let serviceNamespace = "streamspace-expose-svc"
    static let ingressNamespace = "streamspace-expose-ing"

    /// Simulated pods report 127.0.0.1 and serve nothing; Docker's have their own address.
    static func servesHTTP(_ status: SessionStatus) -> Bool {
        status.platformMetadata["podIP"]?.stringValue.map { $0 != "127.0.0.1" } ?? false
    }

    @Test func aNodePortSessionIsReachedAtItsNodePort() async throws {
        try KubeTest.bindRoles(["role-service-reader.yaml"], in: Self.serviceNamespace)
        let id = KubeTest.sessionID("np")
        defer { KubeTest.cleanUp([id], namespace: Self.serviceNamespace) }
        let driver = try await KubeTest.loadDriver(config: ["namespace": Self.serviceNamespace, "expose": "nodePort"])
        let started = try await driver.start(try KubernetesLiveTests.spec(id))
        #expect(started.state == .running)

        let service = try #require(try KubeTest.object("service", id, namespace: Self.serviceNamespace))
        let spec = try #require(service["spec"] as? [String: Any])
        #expect(spec["type"] as? String == "NodePort")
        let nodePort = try #require((spec["ports"] as? [[String: Any]])?.first?["nodePort"] as? Int)
        #expect((30000...32767).contains(nodePort))
        // No nodeAddress in the config: the pod's node (the sandbox's is 127.0.0.1).
        let url = try #require(started.endpoints.first { $0.name == "vnc" }?.url)
        #expect(url == "http://127.0.0.1:\(nodePort)")
        #expect(started.platformMetadata["internalEndpoints"]?["vnc"]?.stringValue?.hasSuffix(":8080") == true,
                "\(started.platformMetadata)")
        if Self.servesHTTP(started) {
            #expect(try await Probes.fetch(url).contains("streamspace session"))
        }
        // Another agent finds the same URL (it reads the Service).
        #expect(try await driver.session(id).endpoints.first?.url == url)
        // A repeated start (R6) reads the existing Service rather than failing.
        #expect(try await driver.start(try KubernetesLiveTests.spec(id)).endpoints.first?.url == url)

        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        #expect(try KubeTest.object("service", id, namespace: Self.serviceNamespace) == nil)
        #expect(try KubeTest.object("deployment", "ss-\(id)", namespace: Self.serviceNamespace) == nil)
        await driver.destroy()
    }

    @Test func aNodeAddressNamesTheHostInTheURL() async throws {
        try KubeTest.bindRoles(["role-service-reader.yaml"], in: Self.serviceNamespace)
        let id = KubeTest.sessionID("npa")
        defer { KubeTest.cleanUp([id], namespace: Self.serviceNamespace) }
        let driver = try await KubeTest.loadDriver(config: ["namespace": Self.serviceNamespace, "expose": "nodePort",
                                                            "nodeAddress": "nodes.example.test"])
        let started = try await driver.start(try KubernetesLiveTests.spec(id))
        let url = try #require(started.endpoints.first?.url)
        #expect(url.hasPrefix("http://nodes.example.test:3"), "\(url)")
        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        await driver.destroy()
    }

    @Test func aLoadBalancerSessionWaitsForItsAddressAndStaysInsideItsRoles() async throws {
        try KubeTest.bindRoles(["role-service-reader.yaml"], in: Self.serviceNamespace)
        try await KubernetesRoleTests.checkLifecycle(
            files: ["role.yaml", "role-service-reader.yaml", "node-reader.yaml"], namespace: Self.serviceNamespace,
            config: ["expose": "loadBalancer", "loadBalancerTimeoutSeconds": 30]
        ) { started in
            let id = started.sessionId
            let service = try #require(try KubeTest.object("service", id, namespace: Self.serviceNamespace))
            #expect((service["spec"] as? [String: Any])?["type"] as? String == "LoadBalancer")
            let ingress = ((service["status"] as? [String: Any])?["loadBalancer"] as? [String: Any])?["ingress"] as? [[String: Any]]
            let address = try #require(ingress?.first?["ip"] as? String, "no load-balancer address in \(service)")
            let url = try #require(started.endpoints.first?.url)
            #expect(url == "http://\(address):8080")
            if Self.servesHTTP(started) {
                #expect(try await Probes.fetch(url).contains("streamspace session"))
            }
        }
    }

    @Test func aLoadBalancerThatGetsNoAddressFailsTheStartAndLeavesNothing() async throws {
        try KubeTest.bindRoles(["role-service-reader.yaml"], in: Self.serviceNamespace)
        let id = KubeTest.sessionID("lbno")
        defer { KubeTest.cleanUp([id], namespace: Self.serviceNamespace) }
        // A class no controller serves (the sandbox's serves only the default), as in a cluster without one.
        let driver = try await KubeTest.loadDriver(config: ["namespace": Self.serviceNamespace, "expose": "loadBalancer",
                                                            "loadBalancerClass": "example.test/nobody", "loadBalancerTimeoutSeconds": 2])
        let error = await #expect(throws: DriverError.self) { try await driver.start(try KubernetesLiveTests.spec(id)) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("load-balancer controller") == true, "\(String(describing: error))")
        #expect(error?.message.contains("\"loadBalancerTimeoutSeconds\"") == true)
        #expect(try KubeTest.object("service", id, namespace: Self.serviceNamespace) == nil)
        #expect(try KubeTest.object("deployment", "ss-\(id)", namespace: Self.serviceNamespace) == nil)
        await driver.destroy()
    }

    @Test func anIngressSessionHasItsIngressAndStaysInsideItsRoles() async throws {
        try KubeTest.bindRoles(["role-ingress.yaml"], in: Self.ingressNamespace)
        try await KubernetesRoleTests.checkLifecycle(
            files: ["role.yaml", "role-ingress.yaml", "node-reader.yaml"], namespace: Self.ingressNamespace,
            config: ["expose": "ingress", "ingressHost": "{session}.sessions.example.test", "ingressClassName": "nginx",
                     "ingressTLSSecret": "sessions-tls", "ingressAnnotations": ["nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"]]
        ) { started in
            let id = started.sessionId
            let ingress = try #require(try KubeTest.object("ingress", id, namespace: Self.ingressNamespace))
            let metadata = try #require(ingress["metadata"] as? [String: Any])
            let owner = try #require((metadata["ownerReferences"] as? [[String: Any]])?.first)
            #expect(owner["kind"] as? String == "Deployment")
            #expect(owner["name"] as? String == "ss-\(id)")
            #expect((metadata["annotations"] as? [String: String])?["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "3600")
            let spec = try #require(ingress["spec"] as? [String: Any])
            #expect(spec["ingressClassName"] as? String == "nginx")
            let rule = try #require((spec["rules"] as? [[String: Any]])?.first)
            #expect(rule["host"] as? String == "\(id).sessions.example.test")
            let path = try #require(((rule["http"] as? [String: Any])?["paths"] as? [[String: Any]])?.first)
            let backend = (path["backend"] as? [String: Any])?["service"] as? [String: Any]
            #expect(backend?["name"] as? String == id)
            #expect((backend?["port"] as? [String: Any])?["name"] as? String == "vnc")
            #expect(((spec["tls"] as? [[String: Any]])?.first?["secretName"]) as? String == "sessions-tls")
            #expect(started.endpoints.first?.url == "https://\(id).sessions.example.test/")
            // The Service stays a ClusterIP named exactly the session id (the viewer proxy's).
            #expect((try KubeTest.object("service", id, namespace: Self.ingressNamespace)?["spec"] as? [String: Any])?["type"] as? String == "ClusterIP")
        }
    }

    @Test func deletingTheDeploymentRemovesTheIngress() async throws {
        try KubeTest.bindRoles(["role-ingress.yaml"], in: Self.ingressNamespace)
        let id = KubeTest.sessionID("ingc")
        defer { KubeTest.cleanUp([id], namespace: Self.ingressNamespace) }
        let driver = try await KubeTest.loadDriver(config: ["namespace": Self.ingressNamespace, "expose": "ingress",
                                                            "ingressHost": "sessions.example.test"])
        let started = try await driver.start(try KubernetesLiveTests.spec(id))
        #expect(started.endpoints.first?.url == "http://\(id).sessions.example.test/")
        // A repeated start finds the Ingress there (409) and finishes.
        #expect(try await driver.start(try KubernetesLiveTests.spec(id)).state == .running)
        #expect(try KubeTest.object("ingress", id, namespace: Self.ingressNamespace) != nil)
        _ = try KubeTest.kubectl(["delete", "deployment", "ss-\(id)"], namespace: Self.ingressNamespace)
        var left: [String: Any]?
        for _ in 0..<50 {
            left = try KubeTest.object("ingress", id, namespace: Self.ingressNamespace)
            if left == nil { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(left == nil, "the garbage collector left the Ingress of a deleted Deployment")
        #expect(try await driver.stop(StopRequest(sessionId: id)).state == .terminated)
        await driver.destroy()
    }
}
