import DriverModel

/// The escaping every value gets on its way into a document. The writer is the only caller:
/// values never meet markup anywhere else, so no value can close an element or an attribute.
enum XMLEscaping {
    /// Appends `value` as character data or as an attribute value (which also escapes `"` and
    /// `'`, and writes tabs and line breaks as references so that attribute normalisation keeps
    /// them). Non-ASCII is written as UTF-8, the document's encoding. A character XML 1.0 cannot
    /// carry at all (most C0 controls, U+FFFE, U+FFFF) is an error naming it: no escape exists.
    static func append(_ value: String, attribute: Bool, to out: inout [UInt8]) throws(DriverError) {
        for scalar in value.unicodeScalars {
            switch scalar {
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)  // `]]>` is not allowed in text
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "\"" where attribute: out.append(contentsOf: "&quot;".utf8)
            case "'" where attribute: out.append(contentsOf: "&apos;".utf8)
            case "\t" where attribute: out.append(contentsOf: "&#9;".utf8)
            case "\n" where attribute: out.append(contentsOf: "&#10;".utf8)
            // A literal CR is turned into LF by every parser's end-of-line handling.
            case "\r": out.append(contentsOf: "&#13;".utf8)
            case "\t", "\n": out.append(UInt8(scalar.value))
            default:
                guard isXMLChar(scalar) else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    throw DriverError(.invalidArgument,
                                      "a value holds U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex), which XML 1.0 cannot carry")
                }
                out.append(contentsOf: String(scalar).utf8)
            }
        }
    }

    /// XML 1.0's `Char` production (surrogates cannot occur in a Swift string).
    static func isXMLChar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
