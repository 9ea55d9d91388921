/// Splits a streamed body into lines (watch events are one JSON object a line), with a cap: a
/// line longer than `maxLine` is an error, not a growing buffer. PlatformKit's line streaming
/// (issue14-pk) replaces this once it lands.
struct LineSplitter {
    struct LineTooLong: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "a line of the stream is longer than \(limit) bytes" }
    }

    let maxLine: Int
    private var pending: [UInt8] = []

    init(maxLine: Int = 16 << 20) { self.maxLine = maxLine }

    mutating func feed<Bytes: Collection>(_ bytes: Bytes) throws(LineTooLong) -> [[UInt8]] where Bytes.Element == UInt8 {
        pending += bytes
        var lines: [[UInt8]] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            lines.append(Array(pending[start..<newline]))
            start = pending.index(after: newline)
        }
        pending.removeSubrange(..<start)
        if pending.count > maxLine { throw LineTooLong(limit: maxLine) }
        return lines
    }
}
