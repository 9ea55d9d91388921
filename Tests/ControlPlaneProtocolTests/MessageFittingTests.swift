@testable import ControlPlaneProtocol
import DriverModel
import Testing

/// Long texts are cut with a marker naming their length; a reply that would not fit the
/// server's frame loses the tail of its longest strings, not the reply.
@Suite struct MessageFittingTests {
    @Test func aShortTextIsKept() {
        #expect(TextCut.cut("no change", maxBytes: 9) == "no change")
    }

    @Test(arguments: [100, 200, 1000])
    func aLongTextIsCutWithItsLengthNamed(_ limit: Int) {
        let text = String(repeating: "é", count: 1000)  // 2 bytes each: a cut must not split one
        let cut = TextCut.cut(text, maxBytes: limit)
        #expect(cut.utf8.count <= limit)
        #expect(cut.hasSuffix(" … [cut: 2000 bytes in all]"))
        #expect(cut.hasPrefix("éé"))
        #expect(cut.unicodeScalars.allSatisfy { $0 == "é" || " …[cut:0123456789bytesinal]".unicodeScalars.contains($0) })
    }

    @Test func aFailedReplyIsCutAtTheReplyLimit() {
        let message = AgentMessage.failed(commandId: "cmd-1", error: String(repeating: "e", count: 700_000))
        let error = message.payload["error"]?.stringValue ?? ""
        #expect(error.utf8.count <= TextCut.maxReplyTextBytes)
        #expect(error.hasSuffix("[cut: 700000 bytes in all]"))
    }

    @Test func aMessageOverTheFrameLimitHasItsLongestStringsCut() throws {
        let metadata: [String: JSONValue] = ["podName": .string("mock-s"), "message": .string(String(repeating: "m", count: 400_000)),
                                             "detail": .string(String(repeating: "\u{1}", count: 200_000))]  // escapes grow 6×
        let status = AgentMessage.status(sessionId: "s", state: "failed", vncReady: false, vncPort: 0, platformMetadata: metadata)
        #expect(status.encodedBytes().count > Message.maxFrameBytes)
        let fitted = try #require(status.fitted())
        #expect(fitted.encodedBytes().count <= Message.maxFrameBytes)
        let kept = try #require(fitted.payload["platformMetadata"])
        #expect(kept["podName"] == .string("mock-s"), "short strings are kept")
        #expect(try Message.decode(fitted.encoded()).get() == fitted, "still one valid message")
    }

    @Test func aMessageOfManySmallValuesCannotBeFitted() {
        let many = JSONValue.array((0..<100_000).map { .int(Int64($0)) })
        #expect(Message(type: "session_sync", payload: .object(["sessions": many])).fitted() == nil)
    }
}
