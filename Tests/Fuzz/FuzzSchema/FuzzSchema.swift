import AgentHost
import DriverModel

/// One fuzz input (Scripts/fuzz.sh): any JSON document validated against every embedded driver
/// schema (what the host does to each JSON object a driver hands it).
func fuzzSchema(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let document = try? StrictJSON.parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    for name in schemaNames {
        _ = registry.validate(document, against: name)
    }
    return 0
}

private let registry = SchemaRegistry.driverV1
private let schemaNames = registry.names
