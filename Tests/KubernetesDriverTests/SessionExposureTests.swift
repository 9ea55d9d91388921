import DriverModel
@testable import KubernetesDriver
import PlatformKit
import Testing

/// `expose`: the config's checking, the Service type and Ingress each mode makes, and the URLs
/// read back from what the API server answers.
@Suite struct SessionExposureTests {
    static func configuration(_ members: [String: JSONValue]) throws(DriverError) -> KubernetesConfiguration {
        try KubernetesConfiguration(.object(members))
    }

    static let ingressConfig: [String: JSONValue] = [
        "expose": .string("ingress"), "ingressHost": .string("{session}.sessions.example.com"),
        "ingressClassName": .string("nginx"), "ingressTLSSecret": .string("sessions-tls"),
        "ingressAnnotations": .object(["nginx.ingress.kubernetes.io/proxy-read-timeout": .string("3600")]),
    ]

    func manifests(_ members: [String: JSONValue]) throws -> SessionManifests {
        SessionManifests(namespace: "streamspace", exposure: try Self.configuration(members).exposure)
    }

    // MARK: Config

    @Test func theDefaultIsNoExposure() throws {
        let exposure = try Self.configuration([:]).exposure
        #expect(exposure.mode == .none)
        #expect(exposure.serviceType == "ClusterIP")
        #expect(!exposure.readsService)
    }

    @Test func eachModeIsReadByName() throws {
        #expect(try Self.configuration(["expose": .string("nodePort")]).exposure.serviceType == "NodePort")
        #expect(try Self.configuration(["expose": .string("loadBalancer")]).exposure.serviceType == "LoadBalancer")
        #expect(try Self.configuration(Self.ingressConfig).exposure.serviceType == "ClusterIP")
        for bad: JSONValue in [.string("NodePort"), .string("ingres"), .string(""), .int(1), .bool(true), .array([])] {
            let error = try #require(throws: DriverError.self) { try Self.configuration(["expose": bad]) }
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("\"expose\""), "\(error.message)")
        }
    }

    @Test func aKeyOfAnotherModeIsRefusedNotIgnored() throws {
        let cases: [(String, JSONValue, String)] = [
            ("nodeAddress", .string("10.0.0.1"), "none"), ("ingressHost", .string("a.example.com"), "nodePort"),
            ("loadBalancerTimeoutSeconds", .int(5), "ingress"), ("ingressTLSSecret", .string("tls"), "loadBalancer"),
        ]
        for (key, value, mode) in cases {
            var members: [String: JSONValue] = [key: value, "expose": .string(mode)]
            if mode == "ingress" { members["ingressHost"] = .string("s.example.com") }
            let error = try #require(throws: DriverError.self) { try Self.configuration(members) }
            #expect(error.message.contains("\"\(key)\""), "\(error.message)")
            #expect(error.message.contains("\"expose\""), "\(error.message)")
        }
    }

    @Test func ingressNeedsAHostThatIsADNSName() throws {
        let missing = try #require(throws: DriverError.self) { try Self.configuration(["expose": .string("ingress")]) }
        #expect(missing.message.contains("\"ingressHost\""))
        for bad in ["Sessions.Example.com", "*.example.com", "{session}.{session}.example.com", "https://x.example.com",
                    "x.example.com:443", "a..b", "-a.example.com", "{session}", String(repeating: "a", count: 64) + ".com", ""] {
            let error = try #require(throws: DriverError.self) {
                try Self.configuration(["expose": .string("ingress"), "ingressHost": .string(bad)])
            }
            #expect(error.message.contains("\"ingressHost\""), "\(bad): \(error.message)")
        }
        // A base domain is the session's subdomain of it.
        let base = try Self.configuration(["expose": .string("ingress"), "ingressHost": .string("sessions.example.com")]).exposure
        #expect(try base.ingressHost("alice-1") == "alice-1.sessions.example.com")
        let template = try Self.configuration(["expose": .string("ingress"), "ingressHost": .string("desk-{session}.example.com")]).exposure
        #expect(try template.ingressHost("alice-1") == "desk-alice-1.example.com")
    }

    @Test func aHostTooLongForThisSessionIsAnErrorNamingTheKey() throws {
        let exposure = try Self.configuration(["expose": .string("ingress"),
                                               "ingressHost": .string("{session}-" + String(repeating: "d", count: 30) + ".example.com")]).exposure
        let error = try #require(throws: DriverError.self) { try exposure.ingressHost(String(repeating: "s", count: 40)) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("\"ingressHost\""))
    }

    @Test func ingressNamesAndAnnotationsAreChecked() throws {
        let cases: [(String, JSONValue)] = [
            ("ingressClassName", .string("Nginx")), ("ingressClassName", .int(1)),
            ("ingressTLSSecret", .string("tls_secret")), ("ingressTLSSecret", .bool(false)),
            ("ingressAnnotations", .string("a=b")), ("ingressAnnotations", .object(["a": .int(1)])),
            ("ingressAnnotations", .object(["bad key": .string("x")])), ("ingressAnnotations", .object(["Example.com/x": .string("x")])),
            ("ingressAnnotations", .object(["a/b/c": .string("x")])),
        ]
        for (key, value) in cases {
            var members = Self.ingressConfig
            members[key] = value
            let error = try #require(throws: DriverError.self) { try Self.configuration(members) }
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("\"\(key)\""), "\(key) \(value): \(error.message)")
        }
    }

    @Test func nodeAddressAndTheLoadBalancerTimeoutAreChecked() throws {
        #expect(try Self.configuration(["expose": .string("nodePort"), "nodeAddress": .string("203.0.113.7")]).exposure.nodeAddress == "203.0.113.7")
        #expect(try Self.configuration(["expose": .string("nodePort"), "nodeAddress": .string("2001:db8::1")]).exposure.nodeAddress == "2001:db8::1")
        #expect(try Self.configuration(["expose": .string("nodePort"), "nodeAddress": .string("Nodes.Example.com")]).exposure.nodeAddress != nil)
        for bad: JSONValue in [.string(""), .string("http://x"), .string("a b"), .string("x:30000"), .int(1)] {
            let error = try #require(throws: DriverError.self) { try Self.configuration(["expose": .string("nodePort"), "nodeAddress": bad]) }
            #expect(error.message.contains("\"nodeAddress\""), "\(bad): \(error.message)")
        }
        #expect(try Self.configuration(["expose": .string("loadBalancer"), "loadBalancerTimeoutSeconds": .int(5)]).exposure.loadBalancerTimeout == .seconds(5))
        for bad: JSONValue in [.string("Bad Class"), .string("a/b/c"), .string(""), .int(1)] {
            let error = try #require(throws: DriverError.self) {
                try Self.configuration(["expose": .string("loadBalancer"), "loadBalancerClass": bad])
            }
            #expect(error.message.contains("\"loadBalancerClass\""), "\(bad): \(error.message)")
        }
        for bad: JSONValue in [.int(0), .int(3601), .string("5"), .double(1.5)] {
            let error = try #require(throws: DriverError.self) {
                try Self.configuration(["expose": .string("loadBalancer"), "loadBalancerTimeoutSeconds": bad])
            }
            #expect(error.message.contains("\"loadBalancerTimeoutSeconds\""), "\(bad): \(error.message)")
        }
    }

    // MARK: Manifests

    @Test func theServiceTypeFollowsTheModeAndKeepsItsName() throws {
        for (mode, type) in [("nodePort", "NodePort"), ("loadBalancer", "LoadBalancer")] {
            let service = try #require(try manifests(["expose": .string(mode)]).service(SessionManifestTests.spec, ownerUID: "uid-1"))
            #expect(service["metadata"]?["name"] == .string(SessionManifestTests.spec.id))
            #expect(service["spec"]?["type"] == .string(type))
            #expect(service["spec"]?["ports"]?.arrayValue?.first?["nodePort"] == nil)  // the API server allocates it
            #expect(service["metadata"]?["ownerReferences"]?.arrayValue?.first?["uid"] == .string("uid-1"))
        }
        let classed = try #require(try manifests(["expose": .string("loadBalancer"), "loadBalancerClass": .string("example.com/vip")])
            .service(SessionManifestTests.spec, ownerUID: "u"))
        #expect(classed["spec"]?["loadBalancerClass"] == .string("example.com/vip"))
        #expect(try manifests(["expose": .string("nodePort")]).service(SessionManifestTests.spec, ownerUID: "u")?["spec"]?["loadBalancerClass"] == nil)
        #expect(try manifests([:]).ingress(SessionManifestTests.spec, ownerUID: "u") == nil)
        #expect(try manifests(["expose": .string("nodePort")]).ingress(SessionManifestTests.spec, ownerUID: "u") == nil)
    }

    @Test func theIngressRoutesItsHostToTheWebPortAndIsOwnedByTheDeployment() throws {
        var spec = SessionManifestTests.spec
        spec.template.ports = [.init(name: "audio", port: 4713), .init(name: "http", port: 8080), .init(name: "vnc", port: 3000)]
        let ingress = try #require(try manifests(Self.ingressConfig).ingress(spec, ownerUID: "uid-1"))
        let expected = try StrictJSON.parse(Array("""
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "demo-firefox-1a2b3c4d", "namespace": "streamspace",
              "labels": {"streamspace.io/managed": "true", "streamspace.io/session": "demo-firefox-1a2b3c4d",
                         "streamspace.io/user": "demo", "streamspace.io/template": "firefox"},
              "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"},
              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "ss-demo-firefox-1a2b3c4d",
                                   "uid": "uid-1", "controller": true, "blockOwnerDeletion": true}]},
             "spec": {"ingressClassName": "nginx",
              "tls": [{"hosts": ["demo-firefox-1a2b3c4d.sessions.example.com"], "secretName": "sessions-tls"}],
              "rules": [{"host": "demo-firefox-1a2b3c4d.sessions.example.com",
                         "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                             "backend": {"service": {"name": "demo-firefox-1a2b3c4d", "port": {"name": "vnc"}}}}]}}]}}
            """.utf8))
        #expect(ingress == expected)
        // Its owner reference is the Service's, so the garbage collector treats both alike.
        let service = try #require(try manifests(Self.ingressConfig).service(spec, ownerUID: "uid-1"))
        #expect(ingress["metadata"]?["ownerReferences"] == service["metadata"]?["ownerReferences"])
    }

    @Test func theWebPortIsVncThenHttpThenTheFirstTCPPort() {
        typealias Port = SessionSpec.Port
        #expect(SessionExposure.webPort([Port(name: "a", port: 1), Port(name: "http", port: 2), Port(name: "vnc", port: 3)])?.name == "vnc")
        #expect(SessionExposure.webPort([Port(name: "a", port: 1), Port(name: "http", port: 2)])?.name == "http")
        #expect(SessionExposure.webPort([Port(name: "u", port: 1, protocol: "udp"), Port(name: "b", port: 2)])?.name == "b")
        #expect(SessionExposure.webPort([Port(name: "vnc", port: 1, protocol: "udp")]) == nil)
        #expect(SessionExposure.webPort([]) == nil)
    }

    @Test func aTemplateWithoutATCPPortGetsNoIngress() throws {
        var spec = SessionManifestTests.spec
        spec.template.ports = [.init(name: "rtp", port: 5004, protocol: "udp")]
        #expect(try manifests(Self.ingressConfig).ingress(spec, ownerUID: "u") == nil)
    }

    // MARK: URLs

    /// A NodePort Service as the API server answers it (allocated node ports, defaults).
    static let nodePortService = try! StrictJSON.parse(Array("""
        {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "s1", "namespace": "streamspace"},
         "spec": {"type": "NodePort", "ports": [{"name": "vnc", "protocol": "TCP", "port": 3000, "targetPort": 3000, "nodePort": 31234},
                                                {"name": "rtp", "protocol": "UDP", "port": 5004, "targetPort": 5004, "nodePort": 31235}]},
         "status": {"loadBalancer": {}}}
        """.utf8))
    static let ports: [SessionSpec.Port] = [.init(name: "vnc", port: 3000), .init(name: "rtp", port: 5004, protocol: "udp")]

    @Test func nodePortURLsUseTheNodeAddressElseThePodsNode() throws {
        let bare = try Self.configuration(["expose": .string("nodePort")]).exposure
        #expect(bare.publicURLs(sessionID: "s1", ports: Self.ports, service: Self.nodePortService, nodeIP: "192.0.2.10")
            == ["vnc": "http://192.0.2.10:31234"])  // UDP: no URL a browser can open
        let named = try Self.configuration(["expose": .string("nodePort"), "nodeAddress": .string("2001:db8::7")]).exposure
        #expect(named.publicURLs(sessionID: "s1", ports: Self.ports, service: Self.nodePortService, nodeIP: "192.0.2.10")
            == ["vnc": "http://[2001:db8::7]:31234"])
        #expect(bare.publicURLs(sessionID: "s1", ports: Self.ports, service: nil, nodeIP: "192.0.2.10").isEmpty)
    }

    @Test func loadBalancerURLsWaitForTheAddress() throws {
        let exposure = try Self.configuration(["expose": .string("loadBalancer")]).exposure
        var service = Self.nodePortService
        #expect(exposure.publicURLs(sessionID: "s1", ports: Self.ports, service: service, nodeIP: nil).isEmpty)
        service = try StrictJSON.parse(Array(Self.nodePortService.jsonString().replacingOccurrences(
            of: #""loadBalancer":{}"#, with: #""loadBalancer":{"ingress":[{"hostname":"lb.example.com"}]}"#).utf8))
        #expect(exposure.publicURLs(sessionID: "s1", ports: Self.ports, service: service, nodeIP: nil) == ["vnc": "http://lb.example.com:3000"])
    }

    @Test func aRunningSessionReportsThePublicURLAndKeepsTheInternalOne() throws {
        // The captured Deployment, with the ports annotation the driver writes at creation.
        var deployment = try KubeFixtures.json("deployment-get.json")
        var metadata = try #require(deployment["metadata"]?.objectValue)
        metadata["annotations"] = .object(["streamspace.io/ports": .string("vnc=3000/tcp")])
        var object = try #require(deployment.objectValue)
        object["metadata"] = .object(metadata)
        deployment = .object(object)
        let pod = try #require(PodState(pod: try KubeFixtures.json("pods-list-running.json")["items"]!.arrayValue!.first!))
        let view = SessionView(sessionID: "demo-firefox-1a2b3c4d", deployment: deployment, pods: [pod], namespace: "streamspace")
        let name = try #require(view.ports.first?.name)
        let status = view.status(publicURLs: [name: "https://demo.sessions.example.com/"]) { $0.ip }
        #expect(status.state == .running)
        #expect(status.endpoints.first?.url == "https://demo.sessions.example.com/")
        #expect(status.platformMetadata["internalEndpoints"]?[name]?.stringValue == "http://\(pod.ip!):\(view.ports.first!.port)")
        #expect(view.status { $0.ip }.platformMetadata["internalEndpoints"] == nil)
    }
}
