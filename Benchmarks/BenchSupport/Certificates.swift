import Foundation

/// A CA-less self-signed certificate for localhost, made with openssl.
public struct Certificates: Sendable {
    public let directory: String
    public var certificate: String { directory + "/cert.pem" }
    public var key: String { directory + "/key.pem" }

    public init() throws {
        directory = NSTemporaryDirectory() + "bench-pki-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                             "-keyout", key, "-out", certificate]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }
}
