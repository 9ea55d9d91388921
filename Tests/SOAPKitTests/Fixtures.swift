import Foundation

/// The golden captures: Tests/Fixtures/vcenter (vcsim, by capture.sh there) and
/// Tests/Fixtures/winrm (a real Windows host).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ folder: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file)))
    }

    static func vcenter(_ file: String) throws -> [UInt8] { try bytes("vcenter", file) }
}
