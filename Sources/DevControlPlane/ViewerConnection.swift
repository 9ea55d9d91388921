import Logging
import NIOCore
import NIOHTTP1

/// One browser connection of the viewer: reads its request head, finds the running session,
/// opens one tunnel stream to the session's viewer port and splices bytes both ways until
/// either side is done. Backpressure is end to end: the browser's bytes are read only as the
/// agent grants credit; the session's bytes are granted back only once the browser took them.
struct ViewerConnection {
    let channel: NIOAsyncChannel<ViewerPart, ByteBuffer>
    let opener: TunnelOpener
    let logger: Logger

    func run() async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                var parts = inbound.makeAsyncIterator()
                guard case .head(let head)? = try await parts.next() else { return }
                switch ViewerPath.route(head.uri) {
                case .notFound:
                    try await outbound.write(ViewerPage.error(404, "Not Found", detail: "\(head.uri) is not a session's address."))
                case .redirect(let location):
                    try await outbound.write(ViewerPage.redirect(to: location))
                case .proxy(let sessionId, let target):
                    guard let stream = try await open(sessionId, outbound) else { return }
                    let request = ViewerForwardedRequest(head, target: target, prefix: ViewerPath.prefix + sessionId)
                    try await splice(request, &parts, outbound, stream)
                }
            }
        } catch {
            logger.debug("viewer connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// The session's stream, or nil once an error page went to the browser.
    private func open(_ sessionId: String, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws -> TunnelStream? {
        guard let session = await opener.store.session(sessionId) else {
            try await outbound.write(ViewerPage.error(404, "Not Found", detail: "No session \(sessionId) is known to this control plane."))
            return nil
        }
        guard session.state == "running", session.vncPort > 0 else {
            let detail = "Session \(sessionId) is \(session.state)" + (session.state == "running" ? " but reported no viewer port." : ", not running.")
            try await outbound.write(ViewerPage.error(502, "Bad Gateway", detail: detail))
            return nil
        }
        do {
            return try await opener.open(sessionId: sessionId, port: nil, timeout: .seconds(10))
        } catch {
            try await outbound.write(ViewerPage.error(502, "Bad Gateway", detail: "Session \(sessionId) could not be reached: \(error)"))
            return nil
        }
    }

    private func splice(_ request: ViewerForwardedRequest, _ parts: inout NIOAsyncChannelInboundStream<ViewerPart>.AsyncIterator,
                        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ stream: TunnelStream) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Session → browser, until the session closes its side.
                for try await bytes in stream.inbound { try await outbound.write(bytes) }
                // Half-close the browser's side: a WebSocket's browser then closes too.
                outbound.finish()
            }
            do {
                try await stream.write(request.headBytes())
                // Browser → session: the rest of the request, then (after an upgrade) the raw
                // bytes until the browser closes.
                upload: while let part = try await parts.next() {
                    switch part {
                    case .head: break upload
                    case .body(let bytes): try await stream.write(request.body(bytes))
                    case .end:
                        if let end = request.end() { try await stream.write(end) }
                        if !request.isUpgrade { break upload }
                    case .raw(let bytes): try await stream.write(bytes)
                    }
                }
                if request.isUpgrade { stream.end() }
                // The answer (or the rest of the WebSocket) comes in full, then both are done.
                try await group.next()
                stream.end()
            } catch {
                stream.reset("the browser connection failed: \(error)")
                group.cancelAll()
                throw error
            }
        }
    }
}
