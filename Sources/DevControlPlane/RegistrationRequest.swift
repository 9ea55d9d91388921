import ControlPlaneProtocol
import DriverModel

/// The body of `POST /api/v1/agents/register`, read as strictly as the real server binds it:
/// one JSON object, Go types (maxSessions an integer, cpu/memory/storage strings), the
/// agent id, platform and region rules. Any problem is a 400 with the reason.
struct RegistrationRequest: Sendable, Equatable {
    struct Problem: Error, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    var agentId: String
    var platform: String
    var region: String
    var capacity: JSONValue
    var metadata: JSONValue

    static func parse(_ bytes: [UInt8]) -> Result<RegistrationRequest, Problem> {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(bytes)
        } catch {
            return .failure(Problem(error.description))
        }
        guard case .object(let members) = value else { return .failure(Problem("the body must be a JSON object")) }

        func string(_ name: String) -> Result<String, Problem> {
            switch members[name] {
            case .string(let text)?: return .success(text)
            case nil, .null?: return .failure(Problem("\(name) is required"))
            case let other?: return .failure(Problem("json: cannot unmarshal \(goTypeName(other)) into field \(name) of type string"))
            }
        }
        let agentId: String, platform: String, region: String
        switch (string("agentId"), string("platform"), string("region")) {
        case (.success(let a), .success(let p), .success(let r)): (agentId, platform, region) = (a, p, r)
        case (.failure(let e), _, _), (_, .failure(let e), _), (_, _, .failure(let e)): return .failure(e)
        }
        if let problem = AgentIdentity.agentIDProblem(agentId) { return .failure(Problem(problem)) }
        if let problem = AgentIdentity.platformProblem(platform) { return .failure(Problem(problem)) }
        if let problem = AgentIdentity.regionProblem(region) { return .failure(Problem(problem)) }

        guard case .object(let capacity)? = members["capacity"] else {
            return .failure(Problem(members["capacity"] == nil || members["capacity"] == .null
                ? "capacity is required" : "json: cannot unmarshal \(goTypeName(members["capacity"]!)) into field capacity of type object"))
        }
        switch capacity["maxSessions"] {
        case .int(let count)?:
            if count < 0 { return .failure(Problem("capacity.maxSessions cannot be negative")) }
        case nil, .null?:
            return .failure(Problem("capacity.maxSessions is required"))
        case let other?:
            return .failure(Problem("json: cannot unmarshal \(goTypeName(other)) into field capacity.maxSessions of type int"))
        }
        for name in ["cpu", "memory", "storage"] {
            if let field = capacity[name], field != .null, field.stringValue == nil {
                return .failure(Problem("json: cannot unmarshal \(goTypeName(field)) into field capacity.\(name) of type string"))
            }
        }
        let metadata = members["metadata"] ?? .null
        guard metadata == .null || metadata.objectValue != nil else {
            return .failure(Problem("json: cannot unmarshal \(goTypeName(metadata)) into field metadata of type map[string]interface {}"))
        }
        return .success(RegistrationRequest(agentId: agentId, platform: platform, region: region,
                                            capacity: .object(capacity), metadata: metadata == .null ? .object([:]) : metadata))
    }

    /// Go's name for a JSON value's type in unmarshal errors.
    static func goTypeName(_ value: JSONValue) -> String {
        switch value {
        case .int, .double: "number"
        case .string: "string"
        case .bool: "bool"
        case .array: "array"
        case .object: "object"
        case .null: "null"
        }
    }
}

private func goTypeName(_ value: JSONValue) -> String { RegistrationRequest.goTypeName(value) }
