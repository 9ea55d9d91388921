@testable import ControlPlaneProtocol
import DriverModel
import NIOCore
import Testing

/// The session tunnel's messages, frames and windows, and the stock server's VNC relay
/// messages: pure values, no sockets.
@Suite struct SessionTrafficTests {
    @Test(arguments: [
        TunnelMessage.open(streamId: 1, sessionId: "alice-firefox-1a2b3c4d", port: 3000, window: 262_144),
        .opened(streamId: 4_294_967_295, window: 1),
        .window(streamId: 9, bytes: 16 << 20),
        .end(streamId: 2),
        .reset(streamId: 3, error: "connection refused"),
    ])
    func aTunnelMessageReadsBackAsItWasWritten(_ message: TunnelMessage) throws {
        let wire = try Message.decode(message.message.encoded()).get()
        #expect(try TunnelMessage.parse(wire) == message)
        #expect(GoTypes.mismatch(type: wire.type, payload: wire.payload) == nil)
    }

    @Test(arguments: [
        (#"{"streamId": 0, "sessionId": "a-b-1", "port": 80, "window": 1}"#, "payload.streamId: expected an integer 1–4294967295, got 0"),
        (#"{"streamId": 4294967296, "sessionId": "a-b-1", "port": 80, "window": 1}"#, "payload.streamId: expected an integer 1–4294967295, got 4294967296"),
        (#"{"streamId": 1, "sessionId": "a-b-1", "port": 0, "window": 1}"#, "payload.port: expected an integer 1–65535, got 0"),
        (#"{"streamId": 1, "sessionId": "a-b-1", "port": 80, "window": 16777217}"#, "payload.window: expected an integer 1–16777216, got 16777217"),
        (#"{"streamId": 1, "sessionId": "../etc", "port": 80, "window": 1}"#, "payload.sessionId:"),
    ])
    func anOpenOutOfRangeIsRefusedNamingTheField(_ payload: String, _ refusal: String) throws {
        let message = Message(type: "tunnel_open", payload: try StrictJSON.parse(Array(payload.utf8)))
        #expect(throws: DriverError.self) { try TunnelMessage.parse(message) }
        do {
            _ = try TunnelMessage.parse(message)
        } catch {
            #expect(error.message.hasPrefix(refusal), "\(error.message)")
        }
    }

    @Test func theStreamIDOfAnUnreadableMessageCanStillBeFound() throws {
        #expect(TunnelMessage.salvageStreamID(.object(["streamId": .int(12), "bytes": .string("x")])) == 12)
        #expect(TunnelMessage.salvageStreamID(.object(["streamId": .string("12")])) == nil)
        #expect(TunnelMessage.salvageStreamID(.object(["streamId": .int(0)])) == nil)
    }

    @Test func aDataFrameCarriesItsStreamAndBytesUnchanged() throws {
        let bytes = (0..<TunnelData.maxPayload).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = TunnelData.frame(streamId: 0xDEAD_BEEF, payload: ByteBuffer(bytes: bytes))
        #expect(frame.readableBytes == TunnelData.headerBytes + bytes.count)
        #expect(Array(frame.readableBytesView.prefix(5)) == [1, 0xDE, 0xAD, 0xBE, 0xEF])
        let (id, payload) = try TunnelData.parse(frame).get()
        #expect(id == 0xDEAD_BEEF)
        #expect(Array(payload.readableBytesView) == bytes)
    }

    @Test func aMalformedDataFrameIsRefusedWithItsReason() {
        func refusal(_ bytes: [UInt8]) -> TunnelData.Refusal? {
            if case .failure(let refusal) = TunnelData.parse(ByteBuffer(bytes: bytes)) { return refusal }
            return nil
        }
        #expect(refusal([1, 0, 0, 0, 1]) == .tooShort(5))
        #expect(refusal([2, 0, 0, 0, 1, 9]) == .unknownKind(2))
        #expect(refusal([1, 0, 0, 0, 0, 9]) == .zeroStream)
        #expect(refusal([1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: TunnelData.maxPayload + 1)) == .tooLong(TunnelData.maxPayload + 1))
    }

    @Test func aSenderSendsAtMostItsWindowUntilGranted() {
        var credit = SendCredit(window: 100)
        let r1 = credit.take(upTo: 60)
        #expect(r1 == 60)
        let r2 = credit.take(upTo: 60)
        #expect(r2 == 40)
        let r3 = credit.take(upTo: 1)
        #expect(r3 == 0)
        let r4 = credit.grant(25)
        #expect(r4)
        let r5 = credit.take(upTo: 100)
        #expect(r5 == 25)
        let r6 = credit.grant(0)
        #expect(!r6)
        let r7 = credit.grant(TunnelMessage.maxWindow + 1)
        #expect(!r7)
    }

    @Test func aReceiverRefusesBytesBeyondItsWindowAndGrantsWhatItPassedOn() {
        var window = ReceiveWindow(size: 1000)
        let r8 = window.receive(1000)
        #expect(r8)
        let r9 = window.receive(1)
        #expect(!r9)
        // Grants wait for a quarter of the window…
        let r10 = window.deliver(100)
        #expect(r10 == nil)
        let r11 = window.deliver(149)
        #expect(r11 == nil)
        let r12 = window.deliver(1)
        #expect(r12 == 250)
        #expect(window.outstanding == 750)
        // …and a sender out of credit always gets one once everything was passed on.
        let r13 = window.deliver(750)
        #expect(r13 == 750)
        #expect(window.outstanding == 0)
        let r14 = window.receive(1000)
        #expect(r14)
    }

    @Test func aStreamOfTinyWritesNeverStallsTheSender() {
        // Sender and receiver driven together, one byte at a time: the sender must never be
        // left without credit while the receiver holds back a grant.
        var credit = SendCredit(window: 64)
        var window = ReceiveWindow(size: 64)
        var inFlight = 0
        for _ in 0..<10_000 {
            if credit.take(upTo: 1) == 1 {
                let r15 = window.receive(1)
                #expect(r15)
                inFlight += 1
            }
            if inFlight > 0 {
                inFlight -= 1
                if let grant = window.deliver(1) {
                    let granted = credit.grant(grant)
                    #expect(granted)
                }
            }
            #expect(credit.available > 0 || inFlight > 0)
        }
    }

    @Test func theStockServersRawStringsAndTheAgentsBase64AreTold() {
        #expect(VNCDataEncoding.auto.decode("RFB 003.008\n") == .raw(Array("RFB 003.008\n".utf8)))
        #expect(VNCDataEncoding.auto.decode("UkZCIDAwMy4wMDgK") == .bytes(Array("RFB 003.008\n".utf8)))
        #expect(VNCDataEncoding.base64.decode("RFB 003.008\n") == .invalid)
        #expect(VNCDataEncoding.raw.decode("UkZCIDAwMy4wMDgK") == .raw(Array("UkZCIDAwMy4wMDgK".utf8)))
        // What Go's string(bytes) makes of invalid UTF-8: U+FFFD, written as its three bytes.
        #expect(VNCDataEncoding.auto.decode("\u{FFFD}") == .raw([0xEF, 0xBF, 0xBD]))
    }

    @Test func theRelayMessagesHaveTheServersTypes() throws {
        for message in [AgentMessage.vncReady(sessionId: "a-b-1", vncPort: 3000, podName: "ss-a-b-1"),
                        AgentMessage.vncData(sessionId: "a-b-1", bytes: [0, 255, 10]),
                        AgentMessage.vncError(sessionId: "a-b-1", error: "refused")] {
            #expect(GoTypes.mismatch(type: message.type, payload: message.payload) == nil)
        }
        #expect(AgentMessage.vncData(sessionId: "a-b-1", bytes: [0, 255, 10]).payload["data"] == .string("AP8K"))
        let close = try Message.decode(#"{"type":"vnc_close","payload":{"sessionId":"a-b-1","reason":"client_disconnect"}}"#).get()
        #expect(try VNCRelayMessage.parse(close) == .close(sessionId: "a-b-1", reason: "client_disconnect"))
    }
}
