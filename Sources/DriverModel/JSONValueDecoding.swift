/// Decoding straight from a parsed JSONValue, for the objects on every command's path (a
/// driver's SessionStatus replies): several times cheaper than Foundation's decoder. Same rules
/// as the Codable conformances: unknown fields ignored, optional fields defaulted.
public protocol JSONValueDecodable {
    init(jsonValue: JSONValue) throws(DriverError)
}

extension JSONValue {
    func member(_ key: String, in what: String) throws(DriverError) -> JSONValue {
        guard let value = self[key] else { throw DriverError(.invalidArgument, "\(what): missing field \"\(key)\"") }
        return value
    }

    func string(_ key: String, in what: String) throws(DriverError) -> String {
        guard case .string(let text) = try member(key, in: what) else {
            throw DriverError(.invalidArgument, "\(what): /\(key) must be a string")
        }
        return text
    }
}

extension Endpoint: JSONValueDecodable {
    public init(jsonValue: JSONValue) throws(DriverError) {
        let name = try jsonValue.string("name", in: "endpoint")
        var port: Int?
        switch jsonValue["port"] {
        case nil, .null?: port = nil
        case .int(let value)?: port = Int(value)
        default: throw DriverError(.invalidArgument, "endpoint: /port must be an integer")
        }
        var url: String?
        switch jsonValue["url"] {
        case nil, .null?: url = nil
        case .string(let value)?: url = value
        default: throw DriverError(.invalidArgument, "endpoint: /url must be a string")
        }
        var dial: String?
        switch jsonValue["dial"] {
        case nil, .null?: dial = nil
        case .string(let value)?: dial = value
        default: throw DriverError(.invalidArgument, "endpoint: /dial must be a string")
        }
        self.init(name: name, port: port, url: url, dial: dial)
    }
}

extension SessionStatus: JSONValueDecodable {
    public init(jsonValue: JSONValue) throws(DriverError) {
        guard case .object = jsonValue else { throw DriverError(.invalidArgument, "session status: not an object") }
        let id = try jsonValue.string("sessionId", in: "session status")
        let stateName = try jsonValue.string("state", in: "session status")
        guard let state = SessionState(rawValue: stateName) else {
            throw DriverError(.invalidArgument, "session status: /state \(stateName.debugDescription) is not a state")
        }
        var endpoints: [Endpoint] = []
        switch jsonValue["endpoints"] {
        case nil, .null?: break
        case .array(let items)?:
            for item in items { endpoints.append(try Endpoint(jsonValue: item)) }
        default: throw DriverError(.invalidArgument, "session status: /endpoints must be an array")
        }
        var metadata: [String: JSONValue] = [:]
        switch jsonValue["platformMetadata"] {
        case nil, .null?: break
        case .object(let members)?: metadata = members
        default: throw DriverError(.invalidArgument, "session status: /platformMetadata must be an object")
        }
        var message: String?
        switch jsonValue["message"] {
        case nil, .null?: break
        case .string(let text)?: message = text
        default: throw DriverError(.invalidArgument, "session status: /message must be a string")
        }
        self.init(sessionId: id, state: state, endpoints: endpoints, platformMetadata: metadata, message: message)
    }
}

extension SessionList: JSONValueDecodable {
    public init(jsonValue: JSONValue) throws(DriverError) {
        guard case .array(let items)? = jsonValue["sessions"] else {
            throw DriverError(.invalidArgument, "session list: /sessions must be an array")
        }
        var sessions: [SessionStatus] = []
        sessions.reserveCapacity(items.count)
        for item in items { sessions.append(try SessionStatus(jsonValue: item)) }
        self.init(sessions: sessions)
    }
}
