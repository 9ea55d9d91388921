import AgentTestSupport
import DriverModel
import Foundation
@testable import PlatformKit
import Testing

/// TLS items load from files or from memory alike, and one that does not load is named.
@Suite struct TLSMaterialTests {
    @Test func inlinePEMLoadsLikeAFileAndABadItemIsNamed() throws {
        let pki = try TestPKI(agentID: "agent-tls")
        let ca = Array(try Data(contentsOf: URL(fileURLWithPath: pki.caCertificate)))
        let key = Array(try Data(contentsOf: URL(fileURLWithPath: pki.clientKey)))
        let inline = TLSMaterial(ca: .pem(ca), certificate: .file(pki.clientCertificate), key: .pem(key))
        _ = try inline.configuration(platformName: "Kubernetes")
        do {
            _ = try TLSMaterial(ca: .pem(Array("not a pem".utf8))).configuration(platformName: "Kubernetes")
            Issue.record("a CA that is not PEM was accepted")
        } catch {
            #expect(error.message.contains("the CA certificate from inline PEM (9 bytes)"), "\(error)")
        }
        do {
            _ = try TLSMaterial(certificate: .pem(ca), key: .pem(Array("junk".utf8))).configuration(platformName: "Kubernetes")
            Issue.record("a key that is not PEM was accepted")
        } catch {
            #expect(error.message.contains("client key from inline PEM"), "\(error)")
            #expect(!error.message.contains("junk"), "the key's bytes never show")
        }
    }
}
