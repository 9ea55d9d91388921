import DriverModel
import NIOSSL

/// TLS to a platform API: a CA to trust and a client certificate, each from a PEM file or from
/// PEM bytes in memory (a kubeconfig's `*-data` fields, base64-decoded by its reader).
public struct TLSMaterial: Sendable, Equatable {
    /// Where one item comes from. Its description never shows the bytes (a key is a secret).
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case file(String)
        case pem([UInt8])

        public var description: String {
            switch self {
            case .file(let path): "file \(path)"
            case .pem(let bytes): "inline PEM (\(bytes.count) bytes)"
            }
        }
    }

    /// Trust only this CA; nil means the system's roots.
    public var ca: Source?
    public var certificate: Source?
    public var key: Source?
    /// Never the default: the operator asked for it explicitly.
    public var skipVerify: Bool

    public init(ca: Source? = nil, certificate: Source? = nil, key: Source? = nil, skipVerify: Bool = false) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
        self.skipVerify = skipVerify
    }

    /// PEM files, the way Docker and LXD clients keep them.
    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, skipVerify: Bool = false) {
        self.init(ca: caFile.map(Source.file), certificate: certificateFile.map(Source.file),
                  key: keyFile.map(Source.file), skipVerify: skipVerify)
    }

    /// The client configuration; an item that does not load is an error naming it and its source.
    public func configuration(platformName: String) throws(DriverError) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca {
            tls.trustRoots = .certificates(try Self.certificates(ca, "the CA certificate", platformName))
        }
        switch (certificate, key) {
        case (let certificate?, let key?):
            tls.certificateChain = try Self.certificates(certificate, "the client certificate", platformName).map { .certificate($0) }
            do {
                tls.privateKey = switch key {
                case .file(let path): .privateKey(try NIOSSLPrivateKey(file: path, format: .pem))
                case .pem(let bytes): .privateKey(try NIOSSLPrivateKey(bytes: bytes, format: .pem))
                }
            } catch {
                throw DriverError(.invalidArgument, "\(platformName): cannot load the client key from \(key) (\(error))")
            }
        case (nil, nil): break
        default:
            throw DriverError(.invalidArgument, "\(platformName): a client certificate needs both its certificate and its key")
        }
        if skipVerify { tls.certificateVerification = .none }
        return tls
    }

    private static func certificates(_ source: Source, _ what: String, _ platformName: String) throws(DriverError) -> [NIOSSLCertificate] {
        let loaded: [NIOSSLCertificate]
        do {
            loaded = switch source {
            case .file(let path): try NIOSSLCertificate.fromPEMFile(path)
            case .pem(let bytes): try NIOSSLCertificate.fromPEMBytes(bytes)
            }
        } catch {
            throw DriverError(.invalidArgument, "\(platformName): cannot load \(what) from \(source) (\(error))")
        }
        guard !loaded.isEmpty else {
            throw DriverError(.invalidArgument, "\(platformName): \(what) from \(source) holds no PEM certificate")
        }
        return loaded
    }
}
