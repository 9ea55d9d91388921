/// The two formats the driver schemas assert, written to agree with the reference validator
/// (Python `jsonschema` with `rfc3339-validator` and `rfc3986-validator`).
enum SchemaFormats {
    /// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, "T" and "Z" in either case,
    /// a real calendar date (leap years included; year 0000 is not one). Seconds run 00-59: a leap
    /// second ("…:60") is rejected, as Go's time.Parse, which reads these on the Control Plane,
    /// rejects it.
    static func isDateTime(_ text: String) -> Bool {
        var scanner = ByteScanner(text)
        guard let year = scanner.digits(4), scanner.take("-"),
              let month = scanner.digits(2), scanner.take("-"),
              let day = scanner.digits(2), scanner.takeAny("Tt"),
              let hour = scanner.digits(2), scanner.take(":"),
              let minute = scanner.digits(2), scanner.take(":"),
              let second = scanner.digits(2)
        else { return false }
        if scanner.take(".") {
            guard scanner.digitRun() > 0 else { return false }
        }
        if !scanner.takeAny("Zz") {
            guard scanner.takeAny("+-"), let offsetHour = scanner.digits(2), scanner.take(":"),
                  let offsetMinute = scanner.digits(2), offsetHour <= 23, offsetMinute <= 59
            else { return false }
        }
        guard scanner.isAtEnd, year > 0, (1...12).contains(month), hour <= 23, minute <= 59, second <= 59
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return (1...monthDays[month - 1]).contains(day)
    }

    /// An absolute URI per RFC 3986 (`scheme ":" hier-part ["?" query] ["#" fragment]`): ASCII
    /// only, percent escapes well formed, a bracketed host a valid IPv6 (or IPvFuture) literal.
    /// "localhost:3000" is a URI (scheme "localhost"); schemas that need "scheme://authority" say
    /// so with a pattern as well.
    static func isURI(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, isAlpha(first) else { return false }
        var index = 1
        while index < bytes.count, isAlpha(bytes[index]) || isDigit(bytes[index]) || "+-.".utf8.contains(bytes[index]) {
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
        var rest = bytes[(index + 1)...]

        if let hash = rest.firstIndex(of: UInt8(ascii: "#")) {
            guard isEncoded(rest[(hash + 1)...], allowing: "/?:@") else { return false }
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: UInt8(ascii: "?")) {
            guard isEncoded(rest[(question + 1)...], allowing: "/?:@") else { return false }
            rest = rest[..<question]
        }
        var path = rest
        if rest.starts(with: "//".utf8) {
            let authorityStart = rest.startIndex + 2
            let authorityEnd = rest[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            guard isAuthority(rest[authorityStart..<authorityEnd]) else { return false }
            path = rest[authorityEnd...]
        }
        return isEncoded(path, allowing: "/:@")
    }

    // MARK: - URI parts

    /// `[ userinfo "@" ] host [ ":" port ]`
    private static func isAuthority(_ authority: ArraySlice<UInt8>) -> Bool {
        var hostAndPort = authority
        if let at = authority.firstIndex(of: UInt8(ascii: "@")) {
            guard isEncoded(authority[..<at], allowing: ":") else { return false }
            hostAndPort = authority[(at + 1)...]
        }
        var port = hostAndPort[hostAndPort.endIndex...]
        if hostAndPort.first == UInt8(ascii: "[") {
            guard let close = hostAndPort.firstIndex(of: UInt8(ascii: "]")),
                  isIPLiteral(hostAndPort[(hostAndPort.startIndex + 1)..<close])
            else { return false }
            let afterHost = hostAndPort[(close + 1)...]
            if !afterHost.isEmpty {
                guard afterHost.first == UInt8(ascii: ":") else { return false }
                port = afterHost.dropFirst()
            }
        } else {
            var host = hostAndPort
            if let colon = hostAndPort.firstIndex(of: UInt8(ascii: ":")) {
                host = hostAndPort[..<colon]
                port = hostAndPort[(colon + 1)...]
            }
            // reg-name (IPv4 addresses are reg-names too).
            guard isEncoded(host, allowing: "") else { return false }
        }
        return port.allSatisfy(isDigit)
    }

    /// The inside of "[...]": an IPv6 address or "v<hex>.<chars>".
    private static func isIPLiteral(_ literal: ArraySlice<UInt8>) -> Bool {
        if literal.first == UInt8(ascii: "v") {
            guard let dot = literal.firstIndex(of: UInt8(ascii: ".")) else { return false }
            let version = literal[(literal.startIndex + 1)..<dot], rest = literal[(dot + 1)...]
            return !version.isEmpty && version.allSatisfy(isHex)
                && !rest.isEmpty && rest.allSatisfy { isUnreserved($0) || isSubDelim($0) || $0 == UInt8(ascii: ":") }
        }
        return isIPv6(literal)
    }

    private static func isIPv6(_ address: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: address, as: UTF8.self)
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        let compressed = halves.count == 2
        if compressed && (halves[0].contains("::") || halves[1].contains("::")) { return false }
        var groups = 0
        for (halfIndex, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (partIndex, part) in parts.enumerated() {
                let isLastOfAddress = halfIndex == halves.count - 1 && partIndex == parts.count - 1
                if isLastOfAddress && part.contains(".") {
                    guard isIPv4(part) else { return false }
                    groups += 2
                } else {
                    guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(isHex) else { return false }
                    groups += 1
                }
            }
        }
        return compressed ? groups <= 7 : groups == 8
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in
            (1...3).contains(octet.utf8.count) && octet.utf8.allSatisfy(isDigit) && Int(octet)! <= 255
        }
    }

    /// Every byte is unreserved, a sub-delim, one of `extra`, or part of a "%XX" escape.
    private static func isEncoded(_ bytes: ArraySlice<UInt8>, allowing extra: String) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                      isHex(bytes[index + 1]), isHex(bytes[index + 2])
                else { return false }
                index += 3
                continue
            }
            guard isUnreserved(byte) || isSubDelim(byte) || extra.utf8.contains(byte) else { return false }
            index += 1
        }
        return true
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        JSONPointer.hexValue(byte) != nil
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || "-._~".utf8.contains(byte)
    }

    private static func isSubDelim(_ byte: UInt8) -> Bool {
        "!$&'()*+,;=".utf8.contains(byte)
    }
}

/// Reads ASCII fields off the front of a string's UTF-8 bytes.
private struct ByteScanner {
    private var bytes: ArraySlice<UInt8>

    init(_ text: String) {
        bytes = Array(text.utf8)[...]
    }

    var isAtEnd: Bool { bytes.isEmpty }

    /// Consumes `character` if it comes next.
    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard bytes.first == UInt8(ascii: character) else { return false }
        bytes.removeFirst()
        return true
    }

    /// Consumes one of `characters` (ASCII) if it comes next.
    mutating func takeAny(_ characters: String) -> Bool {
        guard let byte = bytes.first, characters.utf8.contains(byte) else { return false }
        bytes.removeFirst()
        return true
    }

    /// Consumes exactly `count` ASCII digits and returns their value.
    mutating func digits(_ count: Int) -> Int? {
        guard bytes.count >= count else { return nil }
        var value = 0
        for byte in bytes.prefix(count) {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        bytes.removeFirst(count)
        return value
    }

    /// Consumes a run of ASCII digits and returns its length.
    mutating func digitRun() -> Int {
        let run = bytes.prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }.count
        bytes.removeFirst(run)
        return run
    }
}
