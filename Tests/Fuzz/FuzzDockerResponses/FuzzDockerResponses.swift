import DockerDriver
import DriverModel
import PlatformKit

/// One fuzz input (Scripts/fuzz.sh): a Docker Engine API body through every parser the Docker
/// driver reads one with — a container list entry, an inspect answer (each as a session status),
/// an error body at each status the driver maps, and an event line.
func fuzzDockerResponses(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = DockerEvent(line: bytes)
    for status in [400, 404, 409, 500] {
        _ = DockerEngine.error(PlatformResponse(status: status, body: bytes), what: "fuzzing")
    }
    guard let body = try? StrictJSON.parse(bytes) else { return 0 }
    let entries = body.arrayValue ?? [body]
    for entry in entries {
        for record in [ContainerRecord(listEntry: entry), ContainerRecord(inspect: entry)].compactMap({ $0 }) {
            _ = record.status(publicScheme: "http", publicHost: "::1")
        }
    }
    return 0
}
