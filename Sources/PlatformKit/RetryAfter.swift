import Glibc
import NIOHTTP1

/// A `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, read as the
/// milliseconds to wait from `now`. The API servers that send it (Kubernetes' priority and
/// fairness on 429, a proxy's 503) know better than the host's backoff when to try again.
public enum RetryAfter {
    /// The longest wait honoured: a server asking for more is asking for an hour, at most.
    public static let maxSeconds: Int64 = 3600

    /// The wait for an answer with `status` and `headers`; nil unless the status is 429 or 503
    /// and the header is readable. `now` is seconds since the epoch (a test passes its own).
    public static func milliseconds(status: Int, headers: HTTPHeaders,
                                    now: Int64 = Int64(time(nil))) -> Int64? {
        guard status == 429 || status == 503, let value = headers.first(name: "Retry-After") else { return nil }
        return milliseconds(value, now: now)
    }

    /// The wait a header value asks for; nil when it is neither form.
    public static func milliseconds(_ value: String, now: Int64) -> Int64? {
        let text = value.trimmingWhitespace()
        let seconds: Int64
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            // A long string of digits is a huge wait, capped below; never an overflow.
            seconds = text.count > 10 ? maxSeconds : Int64(text)!
        } else if let date = epochSeconds(httpDate: text) {
            seconds = max(0, date - now)
        } else {
            return nil
        }
        return min(seconds, maxSeconds) * 1000
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate, the form servers send: `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func epochSeconds(httpDate text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int64(parts[1]), (1...31).contains(day),
              let month = months.firstIndex(of: String(parts[2])),
              parts[3].count == 4, let year = Int64(parts[3]), year >= 1970 else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
              hour < 24, minute < 60, second < 61 else { return nil }
        return daysFromCivil(year: year, month: Int64(month) + 1, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
