import DriverModel
import Testing

/// The host refuses control characters in names, values and labels before any driver sees
/// them: a newline or an ESC could start a new log line, header or command downstream.
@Suite struct ControlCharacterTests {
    static func spec(env: [String: String] = [:], labels: [String: String] = [:], user: String = "alice", name: String? = "firefox") -> SessionSpec {
        SessionSpec(id: "alice-firefox-1a2b3c4d", user: user, template: .init(name: name, image: "lscr.io/linuxserver/firefox:latest", env: env), labels: labels)
    }

    static let controls = ["\n", "\r", "\u{0}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9B}", "\u{2028}", "\u{2029}"]

    @Test(arguments: controls)
    func anEnvValueWithAControlCharacterIsRefused(_ control: String) {
        #expect(Self.spec(env: ["TZ": "UTC\(control)x"]).firstProblem()?.contains("template.env TZ contains control characters") == true)
    }

    @Test(arguments: controls)
    func aLabelUserOrTemplateNameWithAControlCharacterIsRefused(_ control: String) {
        #expect(Self.spec(labels: ["team": "a\(control)b"]).firstProblem()?.contains("contains control characters") == true)
        #expect(Self.spec(labels: ["te\(control)am": "ab"]).firstProblem()?.contains("contains control characters") == true)
        #expect(Self.spec(user: "alice\(control)").firstProblem()?.contains("user contains control characters") == true)
        #expect(Self.spec(name: "fire\(control)fox").firstProblem()?.contains("template.name contains control characters") == true)
    }

    @Test func aTabInAnEnvValueAndUnicodeTextPass() {
        #expect(Self.spec(env: ["MOTD": "hello\tworld", "NAME": "Zoë ✓ 日本"]).firstProblem() == nil)
        #expect(Self.spec(labels: ["team": "a\tb"]).firstProblem() != nil, "a tab is only for env values")
    }
}
