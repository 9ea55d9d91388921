import DriverModel

/// What a request carries and the Content-Type that says so: Kubernetes' PATCH takes JSON
/// merge patches, strategic merge patches and JSON patches, each under its own type.
public enum PlatformRequestBody: Sendable, Equatable {
    case json(JSONValue)
    case mergePatch(JSONValue)
    case strategicMergePatch(JSONValue)
    case jsonPatch(JSONValue)
    case raw([UInt8], contentType: String)

    public var contentType: String {
        switch self {
        case .json: "application/json"
        case .mergePatch: "application/merge-patch+json"
        case .strategicMergePatch: "application/strategic-merge-patch+json"
        case .jsonPatch: "application/json-patch+json"
        case .raw(_, let contentType): contentType
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .json(let value), .mergePatch(let value), .strategicMergePatch(let value), .jsonPatch(let value):
            Array(value.jsonString().utf8)
        case .raw(let bytes, _): bytes
        }
    }
}
