import AgentHost
import AsyncHTTPClient
import Foundation

/// Checks the driver tests make from the outside, the way a user or operator would.
public enum Probes {
    /// GET a URL; the body as text. Retries briefly: a published port answers a moment after
    /// the session's process binds it.
    public static func fetch(_ url: String, attempts: Int = 50) async throws -> String {
        var lastError: (any Error)?
        for _ in 0..<attempts {
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
                let body = try await response.body.collect(upTo: 1 << 20)
                if response.status == .ok { return String(buffer: body) }
                lastError = HTTPStatusError(status: Int(response.status.code))
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw lastError ?? HTTPStatusError(status: 0)
    }

    public struct HTTPStatusError: Error { public var status: Int }

    /// Follows a log stream while `write` puts a fresh marker line into the session (after the
    /// stream opened); true when the marker arrived. Cancels the stream either way.
    public static func followDelivers(_ stream: DriverLogStream,
                                      write: @escaping @Sendable (String) throws -> Void) async throws -> Bool {
        let marker = "written-after-open-\(UInt32.random(in: 0...UInt32.max))"
        let writer = Task {
            try await Task.sleep(for: .milliseconds(300))
            try write(marker)
        }
        var sawMarker = false
        for await event in stream {
            if case .data(_, let bytes) = event, String(decoding: bytes, as: UTF8.self).contains(marker) {
                sawMarker = true
                stream.cancel()
            }
            if case .end = event { break }
        }
        try await writer.value
        return sawMarker
    }
}
