import DriverModel
import PlatformKit

/// What the API server says when it refuses a call (a `Status` object), as the driver's error:
/// PlatformKit reads it (one line naming the fix for 401 and 403) and classifies it by the one
/// HTTP-status mapping every REST driver shares; a 429/503 keeps its Retry-After.
package enum KubeStatus {
    package static func error(status: Int, body: JSONValue?, fallback: String, what: String,
                              response: PlatformResponse? = nil) -> DriverError {
        var refusal = PlatformRefusal.kubernetes(httpStatus: status, body: body, fallback: fallback)
            ?? PlatformRefusal(status: status, message: fallback)
        if let response { refusal = refusal.retrying(after: response) }
        return refusal.error("kubernetes", what: what)
    }
}
