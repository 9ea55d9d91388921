import Foundation

/// Certificates made by openssl for one test run: a CA, a server certificate for localhost, a
/// client certificate for the agent, and a second, unrelated CA with its own client certificate.
public struct TestPKI: Sendable {
    public let directory: String
    public var caCertificate: String { "\(directory)/ca.pem" }
    public var serverCertificate: String { "\(directory)/server.pem" }
    public var serverKey: String { "\(directory)/server.key" }
    public var clientCertificate: String { "\(directory)/client.pem" }
    public var clientKey: String { "\(directory)/client.key" }
    public var rogueClientCertificate: String { "\(directory)/rogue-client.pem" }
    public var rogueClientKey: String { "\(directory)/rogue-client.key" }

    public init(agentID: String) throws {
        directory = NSTemporaryDirectory() + "pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=StreamSpace Test CA", "-keyout", "ca.key", "-out", "ca.pem"])
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-subj", "/CN=Rogue CA", "-keyout", "rogue-ca.key", "-out", "rogue-ca.pem"])
        try issue(name: "server", subject: "/CN=localhost", ca: "ca", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        try issue(name: "client", subject: "/CN=\(agentID)", ca: "ca", extensions: "extendedKeyUsage=clientAuth")
        try issue(name: "rogue-client", subject: "/CN=\(agentID)", ca: "rogue-ca", extensions: "extendedKeyUsage=clientAuth")
    }

    /// A server certificate from this CA for another host name only: right CA, wrong host.
    public func serverCertificate(forHost host: String) throws -> (certificate: String, key: String) {
        let name = "server-\(host)"
        try issue(name: name, subject: "/CN=\(host)", ca: "ca", extensions: "subjectAltName=DNS:\(host)\nextendedKeyUsage=serverAuth")
        return ("\(directory)/\(name).pem", "\(directory)/\(name).key")
    }

    private func issue(name: String, subject: String, ca: String, extensions: String) throws {
        try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                     "-keyout", "\(name).key", "-out", "\(name).csr"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial",
                     "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).pem"])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
