@testable import AgentHost
import Foundation
import Testing

/// The stored key names the agent id it was issued to, is used by that agent id only, and a
/// one-driver agent's key moves to the multi-driver layout for the agent of the same id.
@Suite struct APIKeyStoreTests {
    let root = NSTemporaryDirectory() + "keys-\(UUID().uuidString)"
    let key = String(repeating: "ab", count: 32)
    let otherKey = String(repeating: "cd", count: 32)

    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func contents(_ path: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        return try #require(object as? [String: String])
    }

    @Test func aSavedKeyRecordsItsAgentAndOnlyThatAgentLoadsIt() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try APIKeyStore(directory: root, agentID: "host-1").save(key)
        #expect(try contents("\(root)/api-key") == ["agentId": "host-1", "apiKey": key])
        let mode = try FileManager.default.attributesOfItem(atPath: "\(root)/api-key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/api-key.tmp"))
        #expect(APIKeyStore(directory: root, agentID: "host-1").load() == (key, .ok))
        // Another agent id pointed at the same folder does not use it.
        let other = APIKeyStore(directory: root, agentID: "host-2").load()
        #expect(other.key == nil && other.finding == .issuedToAnother("host-1"))
    }

    @Test func anOldKeyFileInAnAgentsOwnFolderIsItsOwnAndIsRewrittenWithItsID() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(key + "\n", to: "\(root)/api-key")
        #expect(APIKeyStore(directory: root, agentID: "host-1").load() == (key, .ok))
        #expect(try contents("\(root)/api-key") == ["agentId": "host-1", "apiKey": key])
    }

    @Test func aOneDriverKeyMovesToTheDriverAgentOfTheSameIDOnly() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(key + "\n", to: "\(root)/api-key")  // as a one-driver agent "host-1" left it
        let inherited = LinkConfiguration.InheritedKey(directory: root, owner: "host-1")
        // The default multi-driver ids are other agents to the Control Plane: they do not take it.
        for id in ["host-1-docker", "host-1-lxd"] {
            let loaded = APIKeyStore(directory: "\(root)/\(id)", agentID: id).load(inherited: inherited)
            #expect(loaded.key == nil && loaded.finding == .ok, "\(id)")
            #expect(!FileManager.default.fileExists(atPath: "\(root)/\(id)/api-key"))
        }
        // The driver kept under the old id (--driver-agent-id docker=host-1) does, and keeps it in its folder.
        let moved = APIKeyStore(directory: "\(root)/host-1", agentID: "host-1").load(inherited: inherited)
        #expect(moved == (key, .migrated(from: "\(root)/api-key")))
        #expect(try contents("\(root)/host-1/api-key") == ["agentId": "host-1", "apiKey": key])
        // From then on its own file is read, whatever the old one says.
        try write(otherKey + "\n", to: "\(root)/api-key")
        #expect(APIKeyStore(directory: "\(root)/host-1", agentID: "host-1").load(inherited: inherited) == (key, .ok))
    }

    @Test func aKeyNoDriverAgentTakesIsSaidOnceWithHowToKeepIt() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(key + "\n", to: "\(root)/api-key")
        func configurations(_ ids: [String]) -> [LinkConfiguration] {
            ids.map {
                var configuration = LinkConfiguration(controlPlaneURL: "ws://127.0.0.1:1", agentID: $0, apiKey: nil, platform: "docker",
                                                      region: "test", capacity: .init(maxSessions: 1, cpu: "1", memory: "1Gi"))
                configuration.inheritedKey = .init(directory: root, owner: "host-1")
                return configuration
            }
        }
        let note = APIKeyStore.unclaimedInheritedKey(configurations(["host-1-docker", "host-1-lxd"]))
        #expect(note == "the key in \(root)/api-key was issued to agent host-1, and no driver's agent has that id now (host-1-docker, host-1-lxd): it stays unused; to keep it, run the driver that used it under that id (--driver-agent-id NAME=host-1)")
        #expect(APIKeyStore.unclaimedInheritedKey(configurations(["host-1", "host-1-lxd"])) == nil)
        #expect(key.isEmpty == false && note?.contains(key) == false, "the key itself is never in the line")
    }

    @Test func aNewFormOneDriverKeyGoesByTheIDItRecords() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try APIKeyStore(directory: root, agentID: "edge-7").save(key)
        let inherited = LinkConfiguration.InheritedKey(directory: root, owner: "host-1")
        #expect(APIKeyStore(directory: "\(root)/host-1", agentID: "host-1").load(inherited: inherited).key == nil)
        #expect(APIKeyStore(directory: "\(root)/edge-7", agentID: "edge-7").load(inherited: inherited).key == key)
    }

    @Test func aFileThatIsNeitherFormIsReportedAndNotUsed() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try write(#"{"apiKey": 5}"#, to: "\(root)/api-key")
        let loaded = APIKeyStore(directory: root, agentID: "host-1").load()
        #expect(loaded.key == nil)
        guard case .unreadable(let problem) = loaded.finding else { Issue.record("\(loaded.finding)"); return }
        #expect(problem.contains("is not a key file this agent wrote"))
    }
}
