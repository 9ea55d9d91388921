import DockerDriver

/// One fuzz input (Scripts/fuzz.sh): bytes of a multiplexed log stream through the Docker
/// driver's demultiplexer, fed whole and fed cut into pieces (the first byte sets the piece
/// size). How the transport cuts the stream must not change what comes out.
func fuzzDockerLogs(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let pieceSize = Int(data[0]) + 1
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    let whole = demultiplex([stream[...]])
    let pieces = demultiplex(stride(from: 0, to: stream.count, by: pieceSize).map {
        stream[$0..<min($0 + pieceSize, stream.count)]
    })
    // A bad header fails both ways (what came before it differs: the driver stops there anyway).
    guard whole.failed == pieces.failed, whole.failed || whole == pieces else {
        fatalError("feeding in pieces of \(pieceSize) bytes changed the output: \(whole) vs \(pieces)")
    }
    return 0
}

/// What comes out, per stream, joined, and what was left unfinished; or that it failed.
private struct Output: Equatable {
    var stdout: [UInt8] = [], stderr: [UInt8] = [], stdin: [UInt8] = []
    var leftover = 0
    var failed = false
}

private func demultiplex(_ pieces: [ArraySlice<UInt8>]) -> Output {
    var demultiplexer = LogDemultiplexer()
    var output = Output()
    do {
        for piece in pieces {
            for (stream, payload) in try demultiplexer.feed(piece) {
                switch stream {
                case .stdout: output.stdout += payload
                case .stderr: output.stderr += payload
                case .stdin: output.stdin += payload
                }
            }
        }
    } catch {
        output.failed = true
    }
    output.leftover = demultiplexer.leftover
    return output
}
