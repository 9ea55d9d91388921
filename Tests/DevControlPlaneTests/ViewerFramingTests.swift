@testable import DevControlPlane
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The viewer's request framing without a network (NIO's EmbeddedChannel): NIOHTTP1 reads
/// the head; after an upgrade request everything is raw bytes, including what came in the
/// same read as the head.
@Suite("Viewer framing: the request head by NIOHTTP1, then raw bytes after an upgrade")
struct ViewerFramingTests {
    @Test("an upgrade's head, then the bytes of the same read and of later reads, raw and in order")
    func upgradeHandsOverRawBytes() throws {
        let channel = try pipeline()
        let head = "GET /sessions/s-1/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: head + "\u{81}\u{82}ab"))
        channel.embeddedEventLoop.run()  // the decoder's removal completes on the loop
        try channel.writeInbound(ByteBuffer(string: "more"))
        let parts = try drain(channel)
        guard parts.count >= 3, case .head(let request) = parts[0], case .end = parts[1] else {
            Issue.record("expected head and end first, got \(parts)")
            return
        }
        #expect(request.uri == "/sessions/s-1/echo")
        let raw = parts.dropFirst(2).map { part -> String in
            if case .raw(let bytes) = part { String(buffer: bytes) } else { "<not raw: \(part)>" }
        }.joined()
        #expect(raw == "\u{81}\u{82}abmore")
    }

    @Test("a plain request: head, body, end; a second request on the connection is dropped")
    func plainRequest() throws {
        let channel = try pipeline()
        try channel.writeInbound(ByteBuffer(string: "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        let parts = try drain(channel)
        #expect(parts.count == 3)
        if case .body(let body) = parts[1] { #expect(String(buffer: body) == "abc") } else { Issue.record("no body: \(parts)") }
    }

    @Test("paths: the prefix stripped, the query kept, no slash redirected, other paths not found")
    func paths() {
        #expect(ViewerPath.route("/sessions/s-1/") == .proxy(sessionId: "s-1", target: "/"))
        #expect(ViewerPath.route("/sessions/s-1/a/b?c=d") == .proxy(sessionId: "s-1", target: "/a/b?c=d"))
        #expect(ViewerPath.route("/sessions/s-1") == .redirect(location: "/sessions/s-1/"))
        #expect(ViewerPath.route("/sessions/s-1?x=1") == .redirect(location: "/sessions/s-1/?x=1"))
        #expect(ViewerPath.route("/sessions/") == .notFound)
        #expect(ViewerPath.route("/sessions/a%2F..%2Fb/") == .notFound)
        #expect(ViewerPath.route("/other") == .notFound)
    }

    private func pipeline() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        try channel.pipeline.syncOperations.addHandler(decoder)
        try channel.pipeline.syncOperations.addHandler(ViewerRequestFramer(decoder: decoder))
        return channel
    }

    private func drain(_ channel: EmbeddedChannel) throws -> [ViewerPart] {
        var parts: [ViewerPart] = []
        while let part = try channel.readInbound(as: ViewerPart.self) { parts.append(part) }
        return parts
    }
}
