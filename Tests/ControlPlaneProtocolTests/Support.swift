import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// Paths and small helpers the ControlPlaneProtocol tests share.
enum Fixtures {
    /// The package root: this file is Tests/ControlPlaneProtocolTests/Support.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/Fixtures/control-plane.
    static let directory = packageRoot.appendingPathComponent("Tests/Fixtures/control-plane")

    static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// The `.json` files of a fixture folder, sorted (empty when the folder is missing, which
    /// the "there are fixtures" tests catch).
    static func jsonFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(folder).path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    /// The absolute path of an executable on PATH, if any.
    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension JSONValue {
    /// Builds a JSONValue from a JSON text with the Foundation-based reader of DriverModel,
    /// which is independent of StrictJSON (it does not keep 1 and 1.0 apart, so use it only
    /// where that does not matter).
    static func foundation(_ text: String) throws -> JSONValue { try JSONValue(parsing: text) }

    /// The members of an object, or an empty dictionary.
    var members: [String: JSONValue] { objectValue ?? [:] }
}

/// A tiny deterministic generator (SplitMix64) for property tests: the same values every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// A random JSON value of bounded depth: every JSON type, integers of every size,
    /// finite doubles, strings with escapes and non-ASCII text.
    mutating func jsonValue(depth: Int = 0) -> JSONValue {
        let kinds = depth >= 3 ? 5 : 7
        switch Int.random(in: 0..<kinds, using: &self) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &self))
        case 2: return .int([0, 1, -1, Int64.max, Int64.min, Int64.random(in: -1_000_000...1_000_000, using: &self)]
                    .randomElement(using: &self)!)
        case 3: return .double([0.5, -2.25, 1e-7, 6.02e23, Double.random(in: -1e6...1e6, using: &self)]
                    .randomElement(using: &self)!)
        case 4: return .string(string())
        case 5: return .array((0..<Int.random(in: 0...3, using: &self)).map { _ in jsonValue(depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &self) { members[string()] = jsonValue(depth: depth + 1) }
            return .object(members)
        }
    }

    mutating func string() -> String {
        ["", "pod-1", "a\"b\\c", "line\nbreak\ttab", "é日本😀", "http://203.0.113.7:49153/vnc", "\u{0}\u{1F}\u{7F}",
         String(Int.random(in: 0...99_999, using: &self))].randomElement(using: &self)!
    }
}
