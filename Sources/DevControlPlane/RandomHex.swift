/// Random identifiers: keys, command ids, request ids, session suffixes.
public enum RandomHex {
    /// `count` random bytes as lowercase hex.
    public static func bytes(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        text.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return text
    }

    /// A 64-hex API key, like `openssl rand -hex 32`.
    public static func key() -> String { bytes(32) }

    /// A command id as the real server spells them: `cmd-` and hex.
    public static func commandID() -> String { "cmd-" + bytes(8) }
}
