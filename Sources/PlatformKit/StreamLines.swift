import DriverModel

/// Cuts a streamed body into lines (newline-delimited JSON of a watch, the text of a log),
/// each at most `maxLineBytes`: a server that never sends a newline must not grow memory.
public struct LineSplitter: Sendable {
    public let maxLineBytes: Int
    private var pending: [UInt8] = []

    public init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    /// The whole lines `chunk` completes, without their `\n` (and a `\r` before it).
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(DriverError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == 0x0A {
                if pending.last == 0x0D { pending.removeLast() }
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            } else {
                guard pending.count < maxLineBytes else {
                    throw DriverError(.internal, "the platform streamed a line longer than \(maxLineBytes) bytes")
                }
                pending.append(byte)
            }
        }
        return lines
    }

    /// What is left once the stream ends: a last line without its newline, if any.
    public mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }
}

extension PlatformStream {
    /// Calls `line` for each line of the body as it arrives, the last one included.
    public func forEachLine(maxLineBytes: Int = 1 << 20, _ line: ([UInt8]) async throws -> Void) async throws {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        for try await chunk in body {
            for complete in try splitter.feed(chunk.readableBytesView) { try await line(complete) }
        }
        if let last = splitter.finish() { try await line(last) }
    }
}
