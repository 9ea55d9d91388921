import Foundation

/// Certificates made with openssl for the TLS tests: a self-signed server certificate, a CA
/// with a server and a client certificate, and a second, unrelated CA with its own client.
struct TestCertificates {
    let directory: String

    var selfSignedCert: String { directory + "/self.pem" }
    var selfSignedKey: String { directory + "/self.key" }
    var ca: String { directory + "/ca.pem" }
    var serverCert: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    func clientCert(_ name: String) -> String { directory + "/client-\(name).pem" }
    func clientKey(_ name: String) -> String { directory + "/client-\(name).key" }
    var wrongCA: String { directory + "/wrong-ca.pem" }
    func wrongClientCert(_ name: String) -> String { directory + "/wrong-client-\(name).pem" }
    func wrongClientKey(_ name: String) -> String { directory + "/wrong-client-\(name).key" }

    /// Makes everything for client certificates with these CNs.
    static func make(clients: [String]) throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "devcp-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let san = "subjectAltName=IP:127.0.0.1,DNS:localhost"
        try openssl(["req", "-x509"] + ec + ["-keyout", certificates.selfSignedKey, "-out", certificates.selfSignedCert,
                     "-days", "2", "-subj", "/CN=localhost", "-addext", san], in: directory)
        for (prefix, subject) in [("ca", "/CN=Dev CP Test CA"), ("wrong-ca", "/CN=Unrelated CA")] {
            try openssl(["req", "-x509"] + ec + ["-keyout", "\(directory)/\(prefix).key", "-out", "\(directory)/\(prefix).pem",
                         "-days", "2", "-subj", subject], in: directory)
        }
        try issue(name: "server", subject: "/CN=localhost", ca: "ca", extensions: san + "\nextendedKeyUsage=serverAuth\n",
                  in: directory, options: ec)
        for client in clients {
            try issue(name: "client-\(client)", subject: "/CN=\(client)", ca: "ca",
                      extensions: "extendedKeyUsage=clientAuth\n", in: directory, options: ec)
            try issue(name: "wrong-client-\(client)", subject: "/CN=\(client)", ca: "wrong-ca",
                      extensions: "extendedKeyUsage=clientAuth\n", in: directory, options: ec)
        }
        return certificates
    }

    private static func issue(name: String, subject: String, ca: String, extensions: String, in directory: String, options: [String]) throws {
        let extensionsFile = "\(directory)/\(name).ext"
        try extensions.write(toFile: extensionsFile, atomically: true, encoding: .utf8)
        try openssl(["req"] + options + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject], in: directory)
        try openssl(["x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).pem", "-CAkey", "\(directory)/\(ca).key",
                     "-CAcreateserial", "-out", "\(directory)/\(name).pem", "-days", "2", "-extfile", extensionsFile], in: directory)
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CertificateError.openssl(arguments.joined(separator: " ") + ": " + text)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

enum CertificateError: Error {
    case openssl(String)
}
