/// The rule every session id must meet before the host hands it to a driver: 1–100 characters
/// of lowercase letters, digits, '.', '_' and '-', starting and ending with a letter or digit.
/// StreamSpace ids look like "alice-firefox-1a2b3c4d". The rule keeps ids safe to use in names,
/// labels and paths; drivers may be stricter still.
public enum SessionID {
    public static let maxLength = 100

    /// Nil when valid, else a sentence saying what is wrong.
    public static func problem(_ id: String) -> String? {
        let bytes = Array(id.utf8)
        if bytes.isEmpty { return "session id is empty" }
        if bytes.count > maxLength { return "session id is longer than \(maxLength) characters" }
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        for b in bytes where !(isAlnum(b) || b == 0x2E || b == 0x5F || b == 0x2D) {
            return "session id \(quoted(id)) contains \(quoted(String(decoding: [b], as: UTF8.self))); only a-z, 0-9, '.', '_' and '-' are allowed"
        }
        if !isAlnum(bytes.first!) || !isAlnum(bytes.last!) {
            return "session id \(quoted(id)) must start and end with a letter or digit"
        }
        return nil
    }

    public static func isValid(_ id: String) -> Bool { problem(id) == nil }

    /// Quotes untrusted text for a message, escaping control characters.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(120) {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
