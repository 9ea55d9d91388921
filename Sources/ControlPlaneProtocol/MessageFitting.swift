import DriverModel

/// Long texts are cut, never dropped: a reply the server would refuse (over its 512 KiB frame
/// limit) loses the tail of its longest strings instead of the whole message, so every command
/// still gets its answer. A cut text ends with a marker that gives the original length.
public enum TextCut {
    /// Texts a person reads in a reply (`failed.error`) are cut at this many bytes.
    public static let maxReplyTextBytes = 16 * 1024

    /// `text` if it has at most `maxBytes` UTF-8 bytes, else its head (cut on a character
    /// boundary) and ` … [cut: N bytes in all]`, `maxBytes` bytes or fewer in all.
    public static func cut(_ text: String, maxBytes: Int) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        let marker = " … [cut: \(total) bytes in all]"
        let room = max(0, maxBytes - marker.utf8.count)
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: room)
        // Back up to the start of a character: never split a UTF-8 sequence.
        while end > text.utf8.startIndex, (text.utf8[end] & 0xC0) == 0x80 { end = text.utf8.index(before: end) }
        return String(decoding: text.utf8[..<end], as: UTF8.self) + marker
    }
}

extension Message {
    /// This message, its longest strings cut until its encoding fits in `maxBytes`; nil when
    /// cutting strings cannot make it fit (a message made of many small values).
    public func fitted(maxBytes: Int = Message.maxFrameBytes) -> Message? {
        var message = self
        var size = message.encodedBytes().count
        // Each round cuts the longest string by what is still too much (plus room for the
        // marker and the escapes an encoded string may need); a few rounds suffice.
        for _ in 0..<16 {
            guard size > maxBytes else { return message }
            guard let longest = message.payload.longestString(), longest.utf8.count > 64 else { return nil }
            let keep = max(0, longest.utf8.count - (size - maxBytes) - 64)
            message.payload = message.payload.replacingFirstString(longest, with: TextCut.cut(longest, maxBytes: keep))
            size = message.encodedBytes().count
        }
        return size <= maxBytes ? message : nil
    }
}

extension JSONValue {
    /// The longest string value anywhere in this value (not keys).
    func longestString() -> String? {
        switch self {
        case .string(let text): return text
        case .array(let values): return values.compactMap { $0.longestString() }.max { $0.utf8.count < $1.utf8.count }
        case .object(let members): return members.values.compactMap { $0.longestString() }.max { $0.utf8.count < $1.utf8.count }
        default: return nil
        }
    }

    /// This value with the first string equal to `old` (depth first, keys in sorted order) replaced.
    func replacingFirstString(_ old: String, with new: String) -> JSONValue {
        var done = false
        return replacing(old, new, &done)
    }

    private func replacing(_ old: String, _ new: String, _ done: inout Bool) -> JSONValue {
        guard !done else { return self }
        switch self {
        case .string(let text) where text == old:
            done = true
            return .string(new)
        case .array(let values):
            return .array(values.map { $0.replacing(old, new, &done) })
        case .object(let members):
            var result = members
            for key in members.keys.sorted() {
                result[key] = members[key]!.replacing(old, new, &done)
                if done { break }
            }
            return .object(result)
        default:
            return self
        }
    }
}
