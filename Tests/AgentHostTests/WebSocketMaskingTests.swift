import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import WebSocketMasking

/// The fast mask and the client encoder built on it, checked against NIO's own: the same
/// bytes for every length, offset, key and frame shape tried.
@Suite struct WebSocketMaskingTests {
    /// Bytes and keys from a formula: every run tries the same ones, none of them regular.
    static func bytes(_ count: Int, seed: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: ($0 &+ seed) &* 167 &+ ($0 >> 3) &* 29 &+ seed) })
    }

    static func key(_ seed: Int) -> WebSocketMaskingKey {
        let bytes = Self.bytes(4, seed: seed &* 7919)
        return WebSocketMaskingKey(bytes.readableBytesView)!
    }

    @Test("the mask is NIO's for lengths 0–80 and large ones, every offset, many keys")
    func maskMatchesNIO() {
        for length in Array(0...80) + [255, 1000, 4093, 65_536 + 3] {
            for offset in 0..<9 {
                let key = Self.key(length &* 9 &+ offset)
                let original = Self.bytes(length, seed: offset)
                var ours = original, theirs = original
                ours.maskWebSocketPayload(key, indexOffset: offset)
                theirs.webSocketMask(key, indexOffset: offset)
                #expect(ours == theirs, "length \(length), offset \(offset)")
                if length > 0 { #expect(ours != original || key == [0, 0, 0, 0]) }
                ours.maskWebSocketPayload(key, indexOffset: offset)
                #expect(ours == original, "masking twice gives the bytes back")
            }
        }
    }

    @Test("a buffer read part-way: only its readable bytes are masked")
    func maskRespectsTheReaderIndex() {
        var buffer = ByteBuffer(bytes: Array(repeating: 0xAA, count: 20))
        buffer.moveReaderIndex(forwardBy: 5)
        buffer.maskWebSocketPayload([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(buffer.readableBytesView) == Array(repeating: 0x55, count: 15))
        buffer.moveReaderIndex(to: 0)
        #expect(Array(buffer.readableBytesView) == Array(repeating: 0xAA, count: 5) + Array(repeating: 0x55, count: 15))
    }

    static func encoded(_ frame: WebSocketFrame, by handler: any ChannelHandler) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeOutbound(frame)
        var wire: [UInt8] = []
        while let piece = try channel.readOutbound(as: ByteBuffer.self) { wire += piece.readableBytesView }
        _ = try channel.finish()
        return wire
    }

    @Test("the encoder writes what NIO's writes: lengths at the 7-, 16- and 64-bit boundaries, masked or not, flags, extension data")
    func encoderMatchesNIO() throws {
        let opcodes: [WebSocketOpcode] = [.binary, .text, .continuation, .ping, .connectionClose]
        for length in [0, 1, 7, 125, 126, 127, 65_535, 65_536, 70_001] {
            for (index, opcode) in opcodes.enumerated() where length < 126 || !opcode.isControlOpcode {
                for masked in [true, false] {
                    let extensionData = index == 2 ? Self.bytes(3, seed: length) : nil
                    let frame = WebSocketFrame(fin: index != 2, rsv1: index == 1, rsv3: index == 2, opcode: opcode,
                                               maskKey: masked ? Self.key(length &+ index) : nil,
                                               data: Self.bytes(length, seed: index), extensionData: extensionData)
                    let ours = try Self.encoded(frame, by: MaskingFrameEncoder())
                    let theirs = try Self.encoded(frame, by: WebSocketFrameEncoder())
                    #expect(ours == theirs, "\(opcode), length \(length), masked \(masked)")
                }
            }
        }
    }

    @Test("what the encoder writes, NIO's decoder reads back as the frame sent")
    func decodesBack() throws {
        let payload = Self.bytes(100_000, seed: 5)
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: Self.key(5), data: payload)
        let wire = try Self.encoded(frame, by: MaskingFrameEncoder())
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        try channel.writeInbound(ByteBuffer(bytes: wire))
        let decoded = try #require(try channel.readInbound(as: WebSocketFrame.self))
        #expect(decoded.maskKey == frame.maskKey)
        #expect(decoded.unmaskedPayload == payload)
        #expect(decoded.unmaskedData == payload)
        _ = try channel.finish()
    }
}
