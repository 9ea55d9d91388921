/// Splits Docker's multiplexed log stream (containers without a TTY) into stdout and stderr
/// pieces. Each frame is an 8-byte header — stream (1 stdout, 2 stderr), three zero bytes, a
/// big-endian UInt32 length — then that many bytes. Frames arrive cut anywhere by the
/// transport, so the parser keeps what it has not finished.
package struct LogDemultiplexer {
    package enum Stream: UInt8 { case stdin = 0, stdout = 1, stderr = 2 }

    private var buffer: [UInt8] = []
    private var start = 0

    package init() {}

    /// Feeds bytes; returns the payload of every frame they complete, in order, with consecutive
    /// frames of one stream joined: a container writing line by line makes a frame per line, and
    /// each piece returned costs the driver one log_write.
    package mutating func feed(_ bytes: some Sequence<UInt8>) throws(FrameError) -> [(Stream, [UInt8])] {
        buffer.append(contentsOf: bytes)
        var frames: [(Stream, [UInt8])] = []
        while buffer.count - start >= 8 {
            guard let stream = Stream(rawValue: buffer[start]), buffer[start + 1] == 0, buffer[start + 2] == 0,
                  buffer[start + 3] == 0 else {
                throw FrameError(offset: start)
            }
            let length = Int(buffer[start + 4]) << 24 | Int(buffer[start + 5]) << 16
                | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
            guard buffer.count - start - 8 >= length else { break }
            let payload = buffer[(start + 8)..<(start + 8 + length)]
            if let last = frames.indices.last, frames[last].0 == stream {
                frames[last].1.append(contentsOf: payload)
            } else {
                frames.append((stream, Array(payload)))
            }
            start += 8 + length
        }
        // Compact once the consumed prefix dominates, so the buffer stays one frame's size.
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }

    /// Bytes of an unfinished frame left when the stream ended.
    package var leftover: Int { buffer.count - start }

    package struct FrameError: Error, CustomStringConvertible {
        package var offset: Int
        package var description: String { "the log stream is not in Docker's multiplexed format (bad frame header)" }
    }
}
