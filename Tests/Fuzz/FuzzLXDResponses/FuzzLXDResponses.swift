import DriverModel
import LXDDriver

/// One fuzz input (Scripts/fuzz.sh): an LXD REST API body through every parser the LXD driver
/// reads one with — the instance (alone, in a recursive list, with its state), an error body,
/// and a waited-on operation — each record then read as a session status.
func fuzzLXDResponses(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let body = try? StrictJSON.parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    for status in [200, 400, 404, 500] {
        _ = LXDClient.error(status: status, body: body, fallback: "fallback", what: "fuzzing")
    }
    _ = try? LXDClient.operationOutcome(status: 200, body: body, fallback: "fallback", what: "fuzzing", timeout: .seconds(1))
    let metadata = body["metadata"] ?? body
    for instance in metadata.arrayValue ?? [metadata] {
        for record in [InstanceRecord(instance), InstanceRecord(instance, state: metadata["state"])].compactMap({ $0 }) {
            _ = record.status(publicScheme: "http", publicHost: "::1")
        }
    }
    return 0
}
