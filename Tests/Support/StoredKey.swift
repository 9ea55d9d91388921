import Foundation

/// An API key file the agent wrote in its state dir: `{"agentId": …, "apiKey": …}`.
public enum StoredKey {
    public struct Unreadable: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) is not {\"agentId\": …, \"apiKey\": …}" }
    }

    public static func read(_ path: String) throws -> (agentID: String, key: String) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        guard let fields = object as? [String: String], let id = fields["agentId"], let key = fields["apiKey"] else {
            throw Unreadable(path: path)
        }
        return (id, key)
    }
}
