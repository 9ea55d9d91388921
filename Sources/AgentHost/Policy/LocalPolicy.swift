import DriverModel
import Glibc

/// What this host allows, whatever the Control Plane asks (`--policy FILE`): the images a session
/// may run, the most CPU and memory one session may have, how many sessions may run, and which
/// ports a session may serve. A start that breaks it is answered `failed` with the reason and
/// never reaches the driver. Pure: the executor asks, nothing here does I/O but `load`.
public struct LocalPolicy: Sendable, Equatable {
    /// Image patterns (`*` any characters, `/` included; `?` one character); empty: any image.
    public var allowedImages: [String] = []
    public var maxCPUMillicores: Int64?
    public var maxMemoryBytes: Int64?
    /// The most sessions this agent process runs at once, over all its drivers.
    public var maxSessions: Int?
    /// The ports a template may declare; empty: any port.
    public var allowedPorts: [ClosedRange<Int>] = []

    public init() {}

    /// The keys a policy file may have. Unknown keys are errors: a misspelt key must not leave a
    /// host less protected than its operator thinks.
    static let keys = ["allowedImages", "maxCpuPerSession", "maxMemoryPerSession", "maxSessions", "allowedPorts"]

    /// Reads a policy file (JSON). Errors name the file, the key and what was expected.
    public static func load(path: String) throws(LinkError) -> LocalPolicy {
        guard let file = fopen(path, "r") else {
            throw .configuration("--policy \(path): cannot read it: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            if bytes.count > 1 << 20 { throw .configuration("--policy \(path): larger than 1 MiB; a policy is a few lines") }
        }
        do {
            return try parse(bytes)
        } catch {
            throw .configuration("--policy \(path): \(error.message)")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(DriverError) -> LocalPolicy {
        let value: JSONValue
        do {
            value = try StrictJSON.parse(bytes)
        } catch {
            throw DriverError(.invalidArgument, "not JSON: \(error.description)")
        }
        guard case .object(let members) = value else { throw DriverError(.invalidArgument, "expected a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw DriverError(.invalidArgument, "unknown key \(unknown.debugDescription) (known: \(keys.joined(separator: ", ")))")
        }
        var policy = LocalPolicy()
        if let images = members["allowedImages"] {
            guard case .array(let list) = images else { throw DriverError(.invalidArgument, "allowedImages: expected an array of image patterns like \"lscr.io/linuxserver/*\"") }
            policy.allowedImages = try list.map { item throws(DriverError) in
                guard case .string(let pattern) = item, !pattern.isEmpty, !SessionSpec.hasControlCharacters(pattern) else {
                    throw DriverError(.invalidArgument, "allowedImages: every pattern must be a non-empty string without control characters")
                }
                return pattern
            }
        }
        if let cpu = members["maxCpuPerSession"] {
            guard case .string(let text) = cpu, let millicores = ResourceQuantity.cpuMillicores(text), millicores > 0 else {
                throw DriverError(.invalidArgument, "maxCpuPerSession: expected a CPU quantity string like \"4\" or \"2500m\"")
            }
            policy.maxCPUMillicores = millicores
        }
        if let memory = members["maxMemoryPerSession"] {
            guard case .string(let text) = memory, let bytes = ResourceQuantity.bytes(text), bytes > 0 else {
                throw DriverError(.invalidArgument, "maxMemoryPerSession: expected a memory quantity string like \"8Gi\"")
            }
            policy.maxMemoryBytes = bytes
        }
        if let sessions = members["maxSessions"] {
            guard case .int(let count) = sessions, count >= 0, count <= 1_000_000 else {
                throw DriverError(.invalidArgument, "maxSessions: expected an integer from 0 to 1000000")
            }
            policy.maxSessions = Int(count)
        }
        if let ports = members["allowedPorts"] {
            guard case .array(let list) = ports else { throw DriverError(.invalidArgument, "allowedPorts: expected an array of ports (3000) or ranges (\"8000-8100\")") }
            policy.allowedPorts = try list.map(portRange)
        }
        return policy
    }

    private static func portRange(_ item: JSONValue) throws(DriverError) -> ClosedRange<Int> {
        let bad = DriverError(.invalidArgument, "allowedPorts: \(item.jsonString()) is not a port 1–65535 nor a range like \"8000-8100\"")
        switch item {
        case .int(let port) where (1...65535).contains(port):
            return Int(port)...Int(port)
        case .string(let text):
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], 1 <= low, low <= high, high <= 65535 else { throw bad }
            return low...high
        default:
            throw bad
        }
    }

    /// Why this spec may not run here, or nil. (`maxSessions` is the executor's to count.)
    public func violation(_ spec: SessionSpec) -> String? {
        let image = spec.template.image
        if !allowedImages.isEmpty, !allowedImages.contains(where: { fnmatch($0, image, 0) == 0 }) {
            return "image \(image.debugDescription) is not allowed on this host (allowed: \(allowedImages.joined(separator: ", ")))"
        }
        if let maxCPUMillicores, spec.resources.cpuMillicores > maxCPUMillicores {
            return "cpu \(spec.resources.cpu) is over this host's limit of \(maxCPUMillicores)m per session"
        }
        if let maxMemoryBytes, spec.resources.memoryBytes > maxMemoryBytes {
            return "memory \(spec.resources.memory) is over this host's limit of \(maxMemoryBytes) bytes per session"
        }
        if !allowedPorts.isEmpty, let port = spec.template.ports.first(where: { port in !allowedPorts.contains { $0.contains(port.port) } }) {
            let allowed = allowedPorts.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "port \(port.port) (\(port.name)) is not allowed on this host (allowed: \(allowed.joined(separator: ", ")))"
        }
        return nil
    }
}
