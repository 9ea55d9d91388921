import ControlPlaneProtocol
import DriverModel

/// One fuzz input (Scripts/fuzz.sh): one inbound WebSocket frame through the frame splitter,
/// the envelope decoder and the command reader. Also checks that what the agent decodes, it
/// writes back as the same message (a reply quotes ids and texts it read).
func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = Message.decode(bytes: bytes)  // the raw bytes, invalid UTF-8 included
    for case .success(let message) in Message.decodeFrame(String(decoding: bytes, as: UTF8.self)) {
        let again = Message.decode(bytes: message.encodedBytes())
        guard case .success(let decoded) = again, decoded.type == message.type, decoded.timestamp == message.timestamp,
              sameJSON(decoded.payload, message.payload) else {
            fatalError("a decoded message did not survive its encoding: \(message) became \(again)")
        }
        if message.type == "command" { _ = Command.parse(message.payload) }
    }
    return 0
}

/// Equal JSON, where an integral double equals its integer: the writer writes 300.0 as 300, as
/// Foundation does (and as Go's integer fields want).
private func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.double(let x), .int(let n)), (.int(let n), .double(let x)): return Double(n) == x
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameJSON)
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
    default: return a == b
    }
}
