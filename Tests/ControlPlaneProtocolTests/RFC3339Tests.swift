import DriverModel
import ControlPlaneProtocol
import Foundation
import Testing

/// Timestamps are RFC 3339 strings, written and read the way the Go server does.
@Suite struct RFC3339Tests {
    @Test func nowIsUTCWithNineFractionDigitsOrNone() throws {
        let shape = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{9})?Z$"#)
        for _ in 0..<1000 {
            let text = RFC3339.now()
            #expect(try shape.wholeMatch(in: text) != nil, "\(text)")
        }
    }

    @Test func nowParsesBackToTheCurrentTime() throws {
        let before = Date().timeIntervalSince1970
        let text = RFC3339.now()
        let after = Date().timeIntervalSince1970
        let parsed = try #require(RFC3339.parse(text))
        #expect(parsed >= before - 0.001 && parsed <= after + 0.001, "\(text) is \(parsed), not in [\(before), \(after)]")
    }

    @Test(arguments: [
        (Int64(0), 0, "1970-01-01T00:00:00Z"),
        (1_764_879_065, 123_456_789, "2025-12-04T20:11:05.123456789Z"),
        (1_764_879_065, 0, "2025-12-04T20:11:05Z"),
        (1_764_879_065, 1, "2025-12-04T20:11:05.000000001Z"),
        (1_764_879_065, 120_000_000, "2025-12-04T20:11:05.120000000Z"),
        (951_782_400, 999_999_999, "2000-02-29T00:00:00.999999999Z"),
        (-1, 0, "1969-12-31T23:59:59Z"),
        (253_402_300_799, 0, "9999-12-31T23:59:59Z"),
        (1_000_000_000, 500, "2001-09-09T01:46:40.000000500Z"),
    ])
    func formatGoldenValues(_ seconds: Int64, _ nanoseconds: Int, _ expected: String) {
        #expect(RFC3339.format(seconds: seconds, nanoseconds: nanoseconds) == expected)
    }

    @Test func formatDefaultsToNoFraction() {
        #expect(RFC3339.format(seconds: 86_400) == "1970-01-02T00:00:00Z")
    }

    @Test func formatThenParseRoundTrips() throws {
        var generator = SeededGenerator(seed: 3339)
        for _ in 0..<2000 {
            let seconds = Int64.random(in: -2_000_000_000...4_000_000_000, using: &generator)
            let text = RFC3339.format(seconds: seconds)
            #expect(RFC3339.parse(text) == Double(seconds), "\(text)")
        }
    }

    @Test(arguments: [
        ("2025-12-04T13:11:05.123456789-07:00", 1_764_879_065.123456789),
        ("2025-12-04T20:11:05Z", 1_764_879_065),
        ("2025-12-04T20:11:05.5Z", 1_764_879_065.5),
        ("2025-12-04T20:11:05.000000001Z", 1_764_879_065.000000001),
        ("2025-12-04T20:11:05.1234567891234Z", 1_764_879_065.1234567891234),
        ("2025-12-05T01:41:05+05:30", 1_764_879_065),
        ("2025-12-04T13:11:05-07:00", 1_764_879_065),
        ("1970-01-01T00:00:00-00:00", 0),
        ("1970-01-01T00:00:00+00:00", 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
        ("2000-02-29T12:00:00Z", 951_825_600),
        ("2025-12-31T23:59:59+23:59", 1_767_139_259),
        ("1969-12-31T23:59:59Z", -1),
    ])
    func parseAcceptsRFC3339(_ text: String, _ expected: Double) throws {
        let parsed = try #require(RFC3339.parse(text))
        #expect(abs(parsed - expected) < 1e-6, "\(text) → \(parsed), expected \(expected)")
    }

    @Test(arguments: [
        "", "1764879065", "1764879065.123", "786543210.123",
        "2025-12-04T13:11:05",            // no offset
        "2025-12-04T13:11:05.123",        // no offset
        "2025-12-04T24:00:00Z", "2025-12-04T13:60:00Z", "2025-12-04T13:11:60Z",
        "2025-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2100-02-29T00:00:00Z",
        "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-12-00T00:00:00Z", "2025-12-32T00:00:00Z",
        "2025-12-04T13:11:05Zjunk", "2025-12-04T13:11:05Z ", " 2025-12-04T13:11:05Z", "2025-12-04T13:11:05-07:00x",
        "2025-12-04T13:11:05.Z", "2025-12-04T13:11:05.", "2025-12-04T13:11:05,123Z",
        "2025-12-04t20:11:05z", "2025-12-04T20:11:05z",  // Go's time.Time refuses lowercase
        "2025-12-04 13:11:05Z", "2025-12-04X13:11:05Z", "2025/12/04T13:11:05Z",
        "2025-12-04T13:11:05+0700", "2025-12-04T13:11:05+07", "2025-12-04T13:11:05+24:00", "2025-12-04T13:11:05+07:60",
        "2025-12-04T13:11:05 +07:00", "2025-2-04T13:11:05Z", "2025-12-04T1:11:05Z", "25-12-04T13:11:05Z",
        "２０２５-12-04T13:11:05Z", "2025-12-04T13:11:05UTC", "2025-12-04T13:11:05GMT+1",
    ])
    func parseRejects(_ text: String) {
        #expect(RFC3339.parse(text) == nil, "\(text.debugDescription) should not parse")
    }

    @Test(arguments: [
        ("2025-12-04T13:11:05.25-07:00", "2025-12-04T20:11:05.25Z"),
        ("2025-12-05T05:41:05+09:30", "2025-12-04T20:11:05Z"),
        ("2025-12-31T23:30:00-01:00", "2026-01-01T00:30:00Z"),   // crosses a year
        ("2024-03-01T00:00:00+01:00", "2024-02-29T23:00:00Z"),   // crosses a leap day
        ("1970-01-01T00:00:00+14:00", "1969-12-31T10:00:00Z"),
    ])
    func equalInstantsInDifferentOffsetsParseEqual(_ local: String, _ utc: String) throws {
        #expect(try #require(RFC3339.parse(local)) == (try #require(RFC3339.parse(utc))))
    }

    @Test func aNegativeOffsetIsBehindUTC() throws {
        let local = try #require(RFC3339.parse("2025-12-04T13:00:00-07:00"))
        let sameClockUTC = try #require(RFC3339.parse("2025-12-04T13:00:00Z"))
        #expect(local - sameClockUTC == 7 * 3600)
    }
}
