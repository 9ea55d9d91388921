import AgentHost
import AgentTestSupport
import ControlPlaneProtocol
import DriverModel
import Logging
import Testing

@Suite struct RedactorTests {
    let key = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

    @Test func everyOccurrenceOfEverySecretIsTakenOut() {
        let redactor = Redactor([key, "hunter2-hunter2"])
        #expect(redactor.redact("key \(key), again \(key); password hunter2-hunter2.") == "key ***, again ***; password ***.")
        #expect(redactor.redact("nothing secret here") == "nothing secret here")
        #expect(redactor.redact(key + key) == "******")
    }

    @Test func aSecretInsideAnotherGoesWithIt() {
        // Longest first: the short one must not leave the long one's remains behind.
        let redactor = Redactor(["secret-1", "secret-1-and-more"])
        #expect(redactor.redact("a secret-1-and-more b secret-1 c") == "a *** b *** c")
    }

    @Test func shortValuesAreNotSecretsAndRedactingNeverLengthens() {
        let redactor = Redactor(["abc", "12345"])
        #expect(redactor.count == 0)
        #expect(redactor.redact("abc 12345") == "abc 12345")
        let long = Redactor(["123456"])
        let text = "123456 x 123456"
        #expect(long.redact(text).utf8.count <= text.utf8.count)
    }

    @Test func textAroundASecretKeepsItsCharacters() {
        let redactor = Redactor(["pässwörd-ü"])
        #expect(redactor.redact("→ pässwörd-ü ←, ünïcode") == "→ *** ←, ünïcode")
    }

    @Test func secretsLearnedLaterAreRedactedFromThenOn() {
        let redactor = Redactor()
        #expect(redactor.redact("issued \(key)") == "issued \(key)")
        redactor.add(key)
        redactor.add(key)
        #expect(redactor.count == 1)
        #expect(redactor.redact("issued \(key)") == "issued ***")
    }

    @Test func everyStringOfAMessageIsRedactedKeysIncluded() {
        let redactor = Redactor([key])
        let message = Message(type: "failed", payload: .object([
            "commandId": .string("c-1"),
            "error": .string("the server said: \(key)"),
            "details": .array([.string(key), .int(7), .object([key: .bool(true)])]),
        ]))
        let redacted = redactor.redact(message)
        #expect(redacted.payload == .object([
            "commandId": .string("c-1"),
            "error": .string("the server said: ***"),
            "details": .array([.string("***"), .int(7), .object(["***": .bool(true)])]),
        ]))
        #expect(redacted.type == "failed" && redacted.timestamp == message.timestamp)
        let clean = Message(type: "heartbeat", payload: .object(["activeSessions": .int(1)]))
        #expect(redactor.redact(clean) == clean)
    }

    @Test func aDriverConfigSecretIsWhatItsKeyNamesSo() throws {
        let redactor = Redactor()
        redactor.addSecrets(ofDriverConfig: try JSONValue(parsing: Array("""
            {"vcenterPassword": "pw-vcenter-1", "auth": {"bearer_token": "tok-abcdef", "client-secret": "cs-123456"},
             "keyPassphrase": "phrase-1234", "apiKey": "ak-123456", "tokenFile": "/etc/token",
             "endpoint": "https://vc.example", "servers": [{"password": "pw-array-1"}], "port": 443}
            """.utf8)))
        #expect(redactor.count == 6)
        let text = "pw-vcenter-1 tok-abcdef cs-123456 phrase-1234 ak-123456 pw-array-1 /etc/token https://vc.example"
        #expect(redactor.redact(text) == "*** *** *** *** *** *** /etc/token https://vc.example")
    }

    @Test func aLogLineLosesItsSecretsInMessageAndMetadata() {
        let lines = CapturedLogs()
        let redactor = Redactor([key])
        var logger = lines.logger("test").redacting(with: redactor)
        #expect(!((logger.redacting(with: redactor).handler as? RedactingLogHandler)?.wrapped is RedactingLogHandler), "wrapped once")
        logger[metadataKey: "peer"] = "\(key)@cp"
        logger.warning("the server answered \(key)", metadata: ["body": .dictionary(["echo": .array([.string(key)])])])
        let line = lines.all.joined()
        #expect(!line.contains(key), "\(line)")
        #expect(line.contains("the server answered ***") && line.contains("***@cp"), "\(line)")
    }
}
