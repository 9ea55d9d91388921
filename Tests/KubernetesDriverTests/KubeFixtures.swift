import DriverModel
import Foundation

/// The golden captures of a real kube-apiserver (Tests/Fixtures/kubernetes; make-fixtures.py
/// there says which came from where).
enum KubeFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("kubernetes")

    static func bytes(_ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(file)))
    }

    static func json(_ file: String) throws -> JSONValue { try StrictJSON.parse(try bytes(file)) }

    static func lines(_ file: String) throws -> [[UInt8]] {
        try bytes(file).split(separator: 0x0A).map(Array.init)
    }

    /// A fresh folder for files a test writes (kubeconfigs, certificates, tokens).
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "kube-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
