import Logging
import NIOSSL

extension LinkConfiguration.TLSSettings {
    /// The client TLS configuration for both the registration request and the WebSocket:
    /// verification on, the operator's CA if given, the client certificate for mutual TLS.
    func clientConfiguration(logger: Logger) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw LinkError.configuration("--ca-file \(caFile): cannot read a PEM certificate: \(error)")
            }
        }
        if let clientCertificateFile, let clientKeyFile {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCertificateFile).map { .certificate($0) }
            } catch {
                throw LinkError.configuration("--client-cert \(clientCertificateFile): cannot read a PEM certificate: \(error)")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKeyFile, format: .pem))
            } catch {
                throw LinkError.configuration("--client-key \(clientKeyFile): cannot read a PEM private key: \(error)")
            }
        }
        if insecureSkipVerify {
            logger.warning("TLS CERTIFICATE VERIFICATION IS OFF (--insecure-skip-tls-verify): anyone on the path can impersonate the Control Plane and read the API key. Use only for development.")
            configuration.certificateVerification = .none
        }
        return configuration
    }
}

/// Why the link stopped for good, or a setting it cannot use.
public enum LinkError: Error, Equatable, CustomStringConvertible {
    case configuration(String)
    /// The Control Plane answered in a way retrying cannot fix (401, 403).
    case refused(String)

    public var description: String {
        switch self {
        case .configuration(let message), .refused(let message): message
        }
    }
}
