import DriverABI
import DriverModel
import DriverSDK
import Synchronization

/// A second Swift driver for the interposition test: it links its own copy of DriverSDK, like
/// the sample driver does. Loaded together, each must keep its own copy (its registered driver
/// type, its function table); were their symbols shared, creating one would build the other.
///
/// Also a careless driver, for the host's redaction: config `{"password": "…", "startError":
/// "…"}` makes every start fail with `startError` as its message (and log it), the way a
/// platform error may quote a credential.
final class TwinDriver: StreamSpaceDriver {
    let description = DriverDescription(name: "twin", version: "0.1.0", platform: "cloud",
                                        description: "Test fixture: a minimal second Swift driver")
    let capabilities: DriverCapabilities = []
    private let sessions = Mutex<[String: SessionStatus]>([:])
    private let host: DriverHost
    private let startError: String?

    required init(configuration: JSONValue, host: DriverHost) throws {
        let config = configuration.objectValue ?? [:]
        if let key = config.keys.sorted().first(where: { !["password", "startError"].contains($0) }) {
            throw DriverError(.invalidArgument, "twin: unknown config key \"\(key)\"")
        }
        self.host = host
        startError = config["startError"]?.stringValue
    }

    func health() async -> Health { Health(.healthy) }

    func start(_ spec: SessionSpec) async throws -> SessionStatus {
        if let startError {
            host.log(.warning, "twin: start \(spec.id) failed: \(startError)")
            throw DriverError(.failedPrecondition, startError)
        }
        return sessions.withLock { sessions in
            if let existing = sessions[spec.id] { return existing }
            let status = SessionStatus(sessionId: spec.id, state: .running,
                                       endpoints: spec.template.ports.map { Endpoint(name: $0.name, port: $0.port, url: "http://twin.invalid:\($0.port)") })
            sessions[spec.id] = status
            return status
        }
    }

    func stop(_ request: StopRequest) async throws -> SessionStatus {
        sessions.withLock { _ = $0.removeValue(forKey: request.sessionId) }
        return SessionStatus(sessionId: request.sessionId, state: .terminated)
    }

    func session(_ id: String) async throws -> SessionStatus {
        guard let status = sessions.withLock({ $0[id] }) else { throw DriverError(.notFound, "twin: no session \(id)") }
        return status
    }

    func sessions() async throws -> [SessionStatus] {
        sessions.withLock { Array($0.values) }
    }
}

@c @implementation
public func streamspace_driver_entry_v1(
    _ negotiation: UnsafePointer<ssd_negotiation>!,
    _ api: UnsafeMutablePointer<UnsafePointer<ssd_driver_api>?>!
) -> ssd_status {
    DriverExport.entry(TwinDriver.self, negotiation, api)
}
