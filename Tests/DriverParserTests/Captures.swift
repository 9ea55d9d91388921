import DriverModel
import Foundation

/// The golden captures of real platform answers: Tests/Fixtures/<platform>/ (each folder's
/// README says how they were captured).
enum Captures {
    /// The package root: this file is Tests/DriverParserTests/Captures.swift.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ platform: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(platform).appendingPathComponent(file)))
    }

    static func json(_ platform: String, _ file: String) throws -> JSONValue {
        try StrictJSON.parse(try bytes(platform, file))
    }
}
