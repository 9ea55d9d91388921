import DriverModel
import Foundation
@testable import PlatformKit
import Testing

/// Credentials as headers: a token file read again once rotated, basic auth encoded, secrets
/// kept out of descriptions and out of header injection.
@Suite struct PlatformCredentialsTests {
    @Test func aRotatedTokenFileIsReadAgainAndAnUnchangedOneIsNot() throws {
        let path = NSTemporaryDirectory() + "token-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "first-token\n".write(toFile: path, atomically: false, encoding: .utf8)
        let credentials = PlatformCredentials.bearerFile(path: path)
        #expect(try credentials.authorization() == "Bearer first-token")
        try "second-token-longer\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try credentials.authorization() == "Bearer second-token-longer", "rotation is seen")
        #expect(!credentials.description.contains("token-longer"), "\(credentials)")
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: DriverError.self) { try credentials.authorization() }
    }

    @Test func basicAuthIsEncodedAndSecretsNeverShowOrInjectHeaders() throws {
        #expect(try PlatformCredentials.basic(user: "Aladdin", password: "open sesame").authorization() == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
        #expect(Base64.encode(Array("a".utf8)) == "YQ==")
        #expect(!PlatformCredentials.basic(user: "u", password: "hunter2").description.contains("hunter2"))
        #expect(!PlatformCredentials.bearer("s3cr3t").description.contains("s3cr3t"))
        #expect(try PlatformCredentials.none.authorization() == nil)
        do {
            _ = try PlatformCredentials.bearer("abc\r\nX-Evil: 1").authorization()
            Issue.record("a token with a line break was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }
}
