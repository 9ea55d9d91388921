import ControlPlaneProtocol
import DriverModel

/// The baseline: `start_session` translated as the agent did before the field table
/// (commit ba0be5f), reading members with lenient accessors — a member of the wrong type was
/// taken as absent and replaced by a default. Kept here only to measure what strictness costs.
enum LenientTranslation {
    static func sessionSpec(fromStart payload: JSONValue) throws(DriverError) -> SessionSpec {
        guard case .string(let id)? = payload["sessionId"], !id.isEmpty else {
            throw DriverError(.invalidArgument, "the command has no string \"sessionId\"")
        }
        if let problem = SessionID.problem(id) { throw DriverError(.invalidArgument, problem) }
        let manifest = payload["templateManifest"] ?? .null
        if manifest != .null, manifest.objectValue == nil {
            throw DriverError(.invalidArgument, "\"templateManifest\" must be an object")
        }
        let template = manifest["spec"] ?? manifest
        guard let image = template["baseImage"]?.stringValue ?? template["image"]?.stringValue, !image.isEmpty else {
            throw DriverError(.invalidArgument, "the template manifest has no spec.baseImage")
        }
        let templateName = payload["template"]?.stringValue ?? manifest["metadata"]?["name"]?.stringValue
        let user = payload["user"]?.stringValue ?? ""
        guard !user.isEmpty else { throw DriverError(.invalidArgument, "the command has no \"user\"") }
        var ports: [SessionSpec.Port] = []
        for (index, port) in (template["ports"]?.arrayValue ?? []).enumerated() {
            guard let number = port["containerPort"]?.intValue ?? port["port"]?.intValue else {
                throw DriverError(.invalidArgument, "spec.ports[\(index)] has no integer containerPort")
            }
            let name = (port["name"]?.stringValue ?? "port-\(number)").lowercased()
            ports.append(.init(name: name, port: Int(number), protocol: port["protocol"]?.stringValue?.lowercased()))
        }
        var env: [String: String] = [:]
        for variable in template["env"]?.arrayValue ?? [] {
            guard let name = variable["name"]?.stringValue else { continue }
            env[name] = variable["value"]?.stringValue ?? ""
        }
        let mounts = (template["volumeMounts"]?.arrayValue ?? []).compactMap { mount -> SessionSpec.VolumeMount? in
            guard let name = mount["name"]?.stringValue, let path = mount["mountPath"]?.stringValue else { return nil }
            return SessionSpec.VolumeMount(name: name, mountPath: path)
        }
        let defaults = template["defaultResources"]
        func nonEmpty(_ value: JSONValue?) -> String? { value?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        let cpu = nonEmpty(payload["cpu"]) ?? nonEmpty(defaults?["cpu"]) ?? "1000m"
        let memory = nonEmpty(payload["memory"]) ?? nonEmpty(defaults?["memory"]) ?? "2Gi"
        var labels: [String: String] = [:]
        if let namespace = payload["namespace"]?.stringValue, !namespace.isEmpty { labels["streamspace.io/namespace"] = namespace }
        let spec = SessionSpec(id: id, user: user,
                               template: .init(name: templateName, image: image, env: env, ports: ports, volumeMounts: mounts),
                               resources: try SessionSpec.Resources(cpu: cpu, memory: memory),
                               persistentHome: payload["persistentHome"]?.boolValue ?? false, labels: labels)
        try spec.validate()
        return spec
    }
}
