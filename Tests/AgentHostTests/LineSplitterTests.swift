import DriverModel
import PlatformKit
import Testing

/// Lines cut across chunk boundaries, CRLF trimmed, an endless line refused.
@Suite struct LineSplitterTests {
    @Test func linesSpanChunksAndAnOverlongLineIsRefused() throws {
        var splitter = LineSplitter(maxLineBytes: 8)
        #expect(try splitter.feed(Array(#"{"a":"#.utf8)) == [])
        #expect(try splitter.feed(Array("1}\r\n{}\n{".utf8)) == [Array(#"{"a":1}"#.utf8), Array("{}".utf8)])
        #expect(splitter.finish() == Array("{".utf8))
        #expect(splitter.finish() == nil)
        #expect(throws: DriverError.self) { try splitter.feed(Array("123456789".utf8)) }
    }
}
