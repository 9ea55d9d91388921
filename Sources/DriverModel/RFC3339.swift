import Glibc

/// RFC 3339 timestamps as the Control Plane's Go code writes and reads them
/// (`2025-12-04T13:11:05.123456789-07:00`). A number in a timestamp field makes the real server
/// drop the whole message: we always write strings, and only ever read them as strings.
public enum RFC3339 {
    /// Now, in UTC with nanoseconds: "2025-12-04T20:11:05.123456789Z".
    public static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return format(seconds: Int64(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    public static func format(seconds: Int64, nanoseconds: Int = 0) -> String {
        let nanoseconds = min(max(nanoseconds, 0), 999_999_999)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        // Digits written into a fixed buffer: every message carries a timestamp.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(30)
        func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = max(0, value) % (divisor * 10)
            for _ in 0..<width {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, 4); bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, 2); bytes.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mday), 2); bytes.append(UInt8(ascii: "T"))
        put(Int(parts.tm_hour), 2); bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_min), 2); bytes.append(UInt8(ascii: ":"))
        put(Int(parts.tm_sec), 2)
        if nanoseconds > 0 {
            bytes.append(UInt8(ascii: "."))
            put(nanoseconds, 9)
        }
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Seconds since the epoch (with the fraction) of a valid RFC 3339 date-time, else nil.
    /// Accepts what Go's time.Time JSON decoding accepts: fractional seconds of any length,
    /// uppercase 'T', and 'Z' or a ±hh:mm offset (Go refuses lowercase 't' and 'z').
    public static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<at + count] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard b.count >= 20, let year = digits(0, 4), b[4] == 0x2D, let month = digits(5, 2), b[7] == 0x2D,
              let day = digits(8, 2), b[10] == 0x54, let hour = digits(11, 2), b[13] == 0x3A,
              let minute = digits(14, 2), b[16] == 0x3A, let second = digits(17, 2) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < b.count, b[index] == 0x2E {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                fraction += Double(b[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offset = 0
        if b[index] == 0x5A {
            index += 1
        } else if b[index] == 0x2B || b[index] == 0x2D {
            guard let offsetHours = digits(index + 1, 2), index + 3 < b.count, b[index + 3] == 0x3A,
                  let offsetMinutes = digits(index + 4, 2), offsetHours < 24, offsetMinutes < 60 else { return nil }
            offset = (offsetHours * 60 + offsetMinutes) * 60 * (b[index] == 0x2D ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 February into March: refuse dates that do not exist.
        var check = tm()
        var roundTrip = seconds
        gmtime_r(&roundTrip, &check)
        guard check.tm_mday == Int32(day), check.tm_mon == Int32(month - 1) else { return nil }
        return Double(seconds - offset) + fraction
    }
}
