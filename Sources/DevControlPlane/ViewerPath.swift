/// Where a viewer request goes: `/sessions/<id>/rest?query` → `/rest?query` of session `<id>`.
enum ViewerPath: Equatable {
    case proxy(sessionId: String, target: String)
    /// `/sessions/<id>` without the slash: relative URLs in the page need it.
    case redirect(location: String)
    case notFound

    static let prefix = "/sessions/"

    static func route(_ uri: String) -> ViewerPath {
        guard uri.hasPrefix(prefix) else { return .notFound }
        let rest = uri.dropFirst(prefix.count)
        let idEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let sessionId = String(rest[..<idEnd])
        guard !sessionId.isEmpty, sessionId.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else { return .notFound }
        let after = rest[idEnd...]
        guard after.first == "/" else { return .redirect(location: prefix + sessionId + "/" + after) }
        return .proxy(sessionId: sessionId, target: String(after))
    }
}
