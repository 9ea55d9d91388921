import NIOCore
import NIOHTTP1

/// The browser's request as the session receives it: the target without the
/// `/sessions/<id>` prefix, `Connection: close` unless it upgrades (one request per tunnel
/// stream), and the body framed as it came (a chunked body is re-chunked: NIOHTTP1 hands over
/// the chunks' contents).
struct ViewerForwardedRequest {
    let head: HTTPRequestHead
    let isUpgrade: Bool
    let isChunked: Bool

    init(_ original: HTTPRequestHead, target: String, prefix: String) {
        var head = original
        head.uri = target
        isUpgrade = original.headers.contains(name: "upgrade")
        isChunked = original.headers[canonicalForm: "transfer-encoding"].contains { $0.lowercased() == "chunked" }
        if !isUpgrade {
            head.headers.remove(name: "keep-alive")
            head.headers.replaceOrAdd(name: "connection", value: "close")
        }
        head.headers.replaceOrAdd(name: "x-forwarded-prefix", value: prefix)
        self.head = head
    }

    /// The request line and headers.
    func headBytes() -> ByteBuffer {
        var text = "\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)\r\n"
        for (name, value) in head.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return ByteBuffer(string: text)
    }

    /// A piece of the body as it goes on the wire.
    func body(_ bytes: ByteBuffer) -> ByteBuffer {
        guard isChunked else { return bytes }
        var framed = ByteBuffer(string: String(bytes.readableBytes, radix: 16) + "\r\n")
        var bytes = bytes
        framed.writeBuffer(&bytes)
        framed.writeString("\r\n")
        return framed
    }

    /// What ends the body on the wire, if anything.
    func end() -> ByteBuffer? { isChunked ? ByteBuffer(string: "0\r\n\r\n") : nil }
}
