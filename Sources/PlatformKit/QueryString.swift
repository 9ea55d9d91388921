/// Percent-encoding for the paths and query strings of platform API calls. Every untrusted
/// piece (a session id, an image name, a filter) goes through here, never into a URL raw.
public enum QueryString {
    /// "?a=1&b=x%20y", or "" for no items.
    public static func encode(_ items: [(String, String)]) -> String {
        if items.isEmpty { return "" }
        return "?" + items.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    /// One path segment (e.g. a container name) made safe to put between slashes.
    public static func segment(_ text: String) -> String { percentEncode(text) }

    /// Everything but RFC 3986's unreserved characters is encoded.
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            let isUnreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }
}
