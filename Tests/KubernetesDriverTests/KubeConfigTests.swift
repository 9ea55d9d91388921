import DriverModel
import Foundation
import PlatformKit
@testable import KubernetesDriver
import Testing

/// The kubeconfig as kubectl writes it, and every way it can be wrong.
@Suite struct KubeConfigTests {
    static let tls = KubeFixtures.root.appendingPathComponent("tls").path

    static func kubeconfig(user: String, cluster: String = "server: https://10.1.2.3:6443\n    certificate-authority: ca.pem",
                           current: String = "current-context: dev") -> String {
        """
        apiVersion: v1
        kind: Config
        \(current)
        clusters:
        - name: dev-cluster
          cluster:
            \(cluster)
        users:
        - name: dev-user
          user:
            \(user)
        contexts:
        - name: dev
          context:
            cluster: dev-cluster
            user: dev-user
            namespace: team-a
        - name: other
          context:
            cluster: dev-cluster
            user: dev-user
        """
    }

    func write(_ text: String) throws -> String {
        let directory = try KubeFixtures.temporaryDirectory()
        let path = directory + "/config"
        try KubeFixtures.write(text, to: path)
        return path
    }

    @Test func aTokenUserAndACAFileRelativeToTheKubeconfig() throws {
        let path = try write(Self.kubeconfig(user: "token: abc.def"))
        let connection = try KubeConfig.load(paths: path).connection(context: nil)
        #expect(connection.host == "10.1.2.3")
        #expect(connection.port == 6443)
        #expect(connection.useTLS)
        #expect(connection.credential == .token("abc.def"))
        #expect(connection.namespace == "team-a")
        let folder = String(path.dropLast("config".count))
        #expect(connection.certificateAuthority == .file(folder + "ca.pem"))
        #expect(!connection.skipVerify)
        #expect(connection.origin.contains("context dev"))
        #expect(!connection.summary.contains("abc.def"))
    }

    @Test func inlineDataIsDecodedAndWinsOverFiles() throws {
        let cert = try KubeFixtures.bytes("tls/client-cert.pem"), key = try KubeFixtures.bytes("tls/client-key.pem")
        let user = """
        client-certificate: /nowhere/cert.pem
            client-certificate-data: \(Data(cert).base64EncodedString())
            client-key-data: \(Data(key).base64EncodedString())
        """
        let ca = try KubeFixtures.bytes("tls/ca.pem")
        let path = try write(Self.kubeconfig(user: user, cluster: "server: https://api.example:443\n    certificate-authority-data: \(Data(ca).base64EncodedString())"))
        let connection = try KubeConfig.load(paths: path).connection(context: "other")
        #expect(connection.clientCertificate == .pem(cert))
        #expect(connection.clientKey == .pem(key))
        #expect(connection.certificateAuthority == .pem(ca))
        #expect(connection.namespace == nil)
        #expect(connection.credential == .none)
        // The material is real PEM: the TLS configuration accepts it.
        _ = try #require(connection.tls).configuration(platformName: "kubernetes")
    }

    @Test func insecureSkipVerifyOnlyWhenTheKubeconfigSaysSo() throws {
        let path = try write(Self.kubeconfig(user: "tokenFile: token", cluster: "server: https://h:6443\n    insecure-skip-tls-verify: true"))
        let connection = try KubeConfig.load(paths: path).connection(context: nil)
        #expect(connection.skipVerify)
        #expect(connection.credential == .tokenFile(String(path.dropLast("config".count)) + "token"))
    }

    @Test func aMissingContextIsNamedWithTheKnownOnes() throws {
        let path = try write(Self.kubeconfig(user: "token: t"))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path).connection(context: "prod") }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("no context \"prod\""))
        #expect(error.message.contains("dev, other"))
        #expect(error.message.contains(path))
    }

    @Test func noCurrentContextSaysHowToChooseOne() throws {
        let path = try write(Self.kubeconfig(user: "token: t", current: ""))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path).connection(context: nil) }
        #expect(error.message.contains("no current-context"))
    }

    @Test func anUnreadableFileIsNamed() throws {
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: "/nonexistent/kubeconfig") }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("/nonexistent/kubeconfig"))
        #expect(error.message.contains("No such file"))
    }

    @Test func yamlThatDoesNotParseNamesTheFile() throws {
        let path = try write("clusters: [\n  - name: a\n   bad")
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path) }
        #expect(error.message.contains(path))
        #expect(error.message.contains("not valid YAML"))
    }

    @Test func aFieldOfTheWrongTypeIsAnError() throws {
        let path = try write(Self.kubeconfig(user: "token:\n      nested: true"))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path) }
        #expect(error.message.contains("users[0].user.token must be a string"))
        let list = try write("clusters: {}\n")
        let listError = try #require(throws: DriverError.self) { try KubeConfig.load(paths: list) }
        #expect(listError.message.contains("clusters must be a list"))
    }

    @Test func execPluginsAreRefusedByName() throws {
        let path = try write(Self.kubeconfig(user: "exec:\n      command: aws"))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path) }
        #expect(error.message.contains("users[0].user.exec is not supported"))
    }

    @Test func aCertificateWithoutItsKeyIsRefused() throws {
        let path = try write(Self.kubeconfig(user: "client-certificate: c.pem"))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path) }
        #expect(error.message.contains("needs both a client certificate and its key"))
    }

    @Test func badBase64IsNamed() throws {
        let path = try write(Self.kubeconfig(user: "client-certificate-data: '!!!'\n    client-key-data: '!!!'"))
        let error = try #require(throws: DriverError.self) { try KubeConfig.load(paths: path) }
        #expect(error.message.contains("users[0].user.client-certificate-data is not base64"))
    }

    @Test func invalidPEMNamesWhichItem() throws {
        let connection = KubeConnection(host: "h", port: 443, useTLS: true, pathPrefix: "", certificateAuthority: nil,
                                        clientCertificate: .pem(Array("not pem".utf8)), clientKey: .pem(Array("x".utf8)),
                                        skipVerify: false, credential: .none, namespace: nil, origin: "test")
        let error = try #require(throws: DriverError.self) { try #require(connection.tls).configuration(platformName: "kubernetes") }
        #expect(error.message.contains("client certificate"))
    }

    @Test func aKUBECONFIGListMergesFirstWins() throws {
        let first = try write("apiVersion: v1\nkind: Config\ncurrent-context: dev\nusers:\n- name: dev-user\n  user:\n    token: first\n")
        let second = try write(Self.kubeconfig(user: "token: second", current: "current-context: other"))
        let connection = try KubeConfig.load(paths: "\(first):/missing/skipped:\(second)").connection(context: nil)
        #expect(connection.credential == .token("first"))
        #expect(connection.namespace == "team-a")  // context dev, named by the first file
    }

    @Test func serverURLs() throws {
        #expect(try ServerURL("https://[::1]:6443/", what: "s") == ServerURL("https://[::1]:6443", what: "s"))
        #expect(try ServerURL("https://[::1]:6443", what: "s").host == "::1")
        #expect(try ServerURL("http://127.0.0.1:8001/proxy", what: "s").path == "/proxy")
        #expect(try ServerURL("https://kube.example", what: "s").port == 443)
        for bad in ["kube:6443", "ftp://h", "https://user:pw@h", "https://h:0", "https://h:99999", "https://h/a/../b", "https://h?x=1"] {
            #expect(throws: DriverError.self, "\(bad)") { try ServerURL(bad, what: "server") }
        }
    }

    @Test func inClusterReadsTheServiceAccount() throws {
        let directory = try KubeFixtures.temporaryDirectory()
        try KubeFixtures.write("tok-1\n", to: directory + "/token")
        try KubeFixtures.write(String(decoding: try KubeFixtures.bytes("tls/ca.pem"), as: UTF8.self), to: directory + "/ca.crt")
        try KubeFixtures.write("sessions\n", to: directory + "/namespace")
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        let configuration = try KubernetesConfiguration(.object(["serviceAccountDir": .string(directory)]))
        let (connection, namespace) = try ConnectionSource.resolve(configuration, environment: environment)
        #expect(connection.host == "10.96.0.1")
        #expect(connection.credential == .tokenFile(directory + "/token"))
        #expect(connection.certificateAuthority == .file(directory + "/ca.crt"))
        #expect(namespace == "sessions")
        _ = try #require(connection.tls).configuration(platformName: "kubernetes")

        // The config's namespace wins over the pod's.
        let named = try KubernetesConfiguration(.object(["serviceAccountDir": .string(directory), "namespace": .string("x")]))
        #expect(try ConnectionSource.resolve(named, environment: environment).namespace == "x")

        // A pod without the token mounted: the file is named.
        try FileManager.default.removeItem(atPath: directory + "/token")
        let error = try #require(throws: DriverError.self) { try ConnectionSource.resolve(configuration, environment: environment) }
        #expect(error.message.contains(directory + "/token"))
    }

    @Test func theServiceAccountTokenIsReadAgainWhenKubeletRotatesIt() throws {
        let directory = try KubeFixtures.temporaryDirectory()
        try KubeFixtures.write("first\n", to: directory + "/token")
        try KubeFixtures.write(String(decoding: try KubeFixtures.bytes("tls/ca.pem"), as: UTF8.self), to: directory + "/ca.crt")
        let configuration = try KubernetesConfiguration(.object(["serviceAccountDir": .string(directory)]))
        let (connection, _) = try ConnectionSource.resolve(configuration, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"])
        let credentials = connection.credentials
        #expect(try credentials.authorization() == "Bearer first")
        try KubeFixtures.write("second-token\n", to: directory + "/token")
        #expect(try credentials.authorization() == "Bearer second-token")
        try FileManager.default.removeItem(atPath: directory + "/token")
        #expect(throws: DriverError.self) { try credentials.authorization() }
    }

    @Test func noClusterAtAllSaysWhatToGive() throws {
        let configuration = try KubernetesConfiguration(.object([:]))
        let error = try #require(throws: DriverError.self) { try ConnectionSource.resolve(configuration, environment: ["HOME": "/nonexistent"]) }
        #expect(error.message.contains("KUBECONFIG"))
    }

    @Test func theDriverConfigIsStrict() throws {
        for (json, key) in [(#"{"namespace": "Bad_NS"}"#, "namespace"), (#"{"endpointMode": "nodePort"}"#, "endpointMode"),
                            (#"{"homeSize": "lots"}"#, "homeSize"), (#"{"kubeconfig": 3}"#, "kubeconfig"),
                            (#"{"homeAccessMode": "rw"}"#, "homeAccessMode"), (#"{"namspace": "x"}"#, "namspace"),
                            (#"{"readyTimeoutSeconds": 0}"#, "readyTimeoutSeconds")] {
            let error = try #require(throws: DriverError.self) { try KubernetesConfiguration(try JSONValue(parsing: json)) }
            #expect(error.message.contains("\"\(key)\""), "\(json)")
        }
        let defaults = try KubernetesConfiguration(.null)
        #expect(defaults.namespace == nil)
        #expect(defaults.endpointMode == .podIP)
        #expect(defaults.homeSize == "10Gi")
        #expect(!defaults.deletePVC)
    }
}
