@testable import AgentHost
import ControlPlaneProtocol
import DriverModel
import FoundationEssentials
import Logging
import NIOCore
import NIOPosix
import AgentTestSupport
import Testing

/// The agent's side of session traffic against real loopback sockets standing in for session
/// ports (an echo server, and one that sends without end): what the link would send is read
/// from the outbox, as the link's writer reads it.
@Suite struct SessionTrafficLoopbackTests {
    /// A TCP server on 127.0.0.1: `echo` sends back what it reads (and closes its side after
    /// the client's), `flood` writes 64 KiB pieces for as long as the socket takes them.
    final class LoopbackServer: Sendable {
        enum Mode { case echo, flood }
        let channel: Channel
        var port: Int { channel.localAddress!.port! }

        init(_ mode: Mode) async throws {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(mode == .echo ? Echo() as ChannelHandler : Flood())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        func stop() async { try? await channel.close() }

        final class Echo: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
            func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
                if case .inputClosed? = event as? ChannelEvent { context.close(mode: .output, promise: nil) }
            }
        }

        final class Flood: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            func channelActive(context: ChannelHandlerContext) { pump(context) }
            func channelWritabilityChanged(context: ChannelHandlerContext) { pump(context) }
            private func pump(_ context: ChannelHandlerContext) {
                while context.channel.isWritable {
                    context.write(NIOAny(ByteBuffer(repeating: 0x5A, count: 64 * 1024)), promise: nil)
                }
                context.flush()
            }
        }
    }

    /// An outbox attached as to a live connection, a session cache, and the traffic under test.
    struct Rig {
        let outbox: Outbox
        let cache = SessionCache()
        let traffic: SessionTraffic
        let generation: Int
        let logs = CapturedLogs()

        init(encoding: VNCDataEncoding = .auto) {
            let logger = logs.logger("traffic")
            outbox = Outbox(logger: logger)
            traffic = SessionTraffic(outbox: outbox, cache: cache, logger: logger, encoding: encoding)
            generation = outbox.attach()
        }

        func run(_ id: String, port: Int, name: String = "http", serverPort: Int) {
            cache.update(SessionStatus(sessionId: id, state: .running,
                                       endpoints: [Endpoint(name: name, port: port, url: "http://127.0.0.1:\(serverPort)")],
                                       platformMetadata: ["workloadName": .string("ss-\(id)")]))
        }

        func send(_ type: String, _ payload: JSONValue) {
            traffic.receive(Message(type: type, payload: payload))
        }

        /// The next item the link would write, within `timeout`, but for the VNC relay's (the
        /// relay opens for every running session; tunnel tests leave it aside); its bulk credit
        /// is released (as once written).
        func next(timeout: Duration = .seconds(10)) async -> Outbox.Item? {
            let deadline = ContinuousClock.now + timeout
            while true {
                guard let item = await nextOfAll(timeout: deadline - ContinuousClock.now) else { return nil }
                if ignoresRelay, let type = item.message?.type, type.hasPrefix("vnc_") { continue }
                return item
            }
        }

        var ignoresRelay = true

        func nextOfAll(timeout: Duration) async -> Outbox.Item? {
            let outbox = self.outbox, generation = self.generation
            return await withTaskGroup(of: Outbox.Item?.self) { group in
                group.addTask {
                    guard let (item, cost) = await outbox.next(generation: generation) else { return nil }
                    outbox.release(cost)
                    return item
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }

        /// Items until one matches; nil after `timeout` without it.
        func until(timeout: Duration = .seconds(10), _ match: (Outbox.Item) -> Bool, seen: inout [Outbox.Item]) async -> Outbox.Item? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard let item = await next(timeout: deadline - ContinuousClock.now) else { return nil }
                seen.append(item)
                if match(item) { return item }
            }
            return nil
        }
    }

    static func type(_ item: Outbox.Item) -> String? { item.message?.type }

    static func data(_ item: Outbox.Item) -> (UInt32, [UInt8])? {
        guard case .binary(let frame) = item, case .success(let (id, payload)) = TunnelData.parse(frame) else { return nil }
        return (id, Array(payload.readableBytesView))
    }

    @Test func aStreamCarriesBytesBothWaysAndHalfCloses() async throws {
        let server = try await LoopbackServer(.echo)
        defer { Task { await server.stop() } }
        let rig = Rig()
        rig.run("alice-web-1a2b3c4d", port: 8080, serverPort: server.port)
        rig.send("tunnel_open", .object(["streamId": .int(7), "sessionId": .string("alice-web-1a2b3c4d"),
                                         "port": .int(8080), "window": .int(1 << 20)]))
        var seen: [Outbox.Item] = []
        let opened = await rig.until({ Self.type($0) == "tunnel_opened" }, seen: &seen)
        #expect(opened?.message?.payload == .object(["streamId": .int(7), "window": .int(Int64(SessionTunnel.window))]))

        // 600 KiB of bytes that are not text, in pieces, within the agent's window each time.
        let bytes = (0..<600 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        var echoed: [UInt8] = []
        var sent = 0, granted = SessionTunnel.window
        while echoed.count < bytes.count {
            while sent < bytes.count, sent < granted {
                let piece = Array(bytes[sent..<min(bytes.count, sent + 50_000, granted)])
                rig.traffic.receiveData(TunnelData.frame(streamId: 7, payload: ByteBuffer(bytes: piece)))
                sent += piece.count
            }
            let item = try #require(await rig.next(), "echoed \(echoed.count) of \(bytes.count)")
            if let (id, payload) = Self.data(item) {
                #expect(id == 7)
                echoed += payload
            } else if item.message?.type == "tunnel_window" {
                granted += Int(item.message?.payload["bytes"]?.intValue ?? 0)
            }
        }
        #expect(echoed == bytes)
        // The Control Plane is done sending: the echo server closes its side, the stream ends.
        rig.send("tunnel_end", .object(["streamId": .int(7)]))
        let end = await rig.until({ Self.type($0) == "tunnel_end" }, seen: &seen)
        #expect(end != nil)
        try await Task.sleep(for: .milliseconds(100))
        #expect(rig.traffic.tunnel.openStreams == 0)
    }

    @Test func aPortThatIsNotALiveSessionsIsRefusedAndLogged() async throws {
        let rig = Rig()
        rig.run("alice-web-1a2b3c4d", port: 8080, serverPort: 9)
        for (id, session, port) in [(1, "alice-web-1a2b3c4d", 22), (2, "bob-web-1a2b3c4d", 8080)] {
            rig.send("tunnel_open", .object(["streamId": .int(Int64(id)), "sessionId": .string(session), "port": .int(Int64(port)), "window": .int(65536)]))
            let reset = try #require(await rig.next())
            #expect(reset.message?.type == "tunnel_reset")
            #expect(reset.message?.payload["streamId"] == .int(Int64(id)))
            #expect(reset.message?.payload["error"]?.stringValue?.hasPrefix("refused: session \(session)") == true)
        }
        #expect(rig.logs.all.contains { $0.hasPrefix("warning refused tunnel stream 1 to session alice-web-1a2b3c4d port 22") })
        #expect(rig.logs.all.contains { $0.contains("bob-web-1a2b3c4d is not one of this agent's sessions") })
        #expect(rig.traffic.tunnel.openStreams == 0)
    }

    @Test func aStalledStreamHoldsUpNeitherAnotherStreamNorControlMessages() async throws {
        let flood = try await LoopbackServer(.flood)
        let echo = try await LoopbackServer(.echo)
        defer { Task { await flood.stop(); await echo.stop() } }
        let rig = Rig()
        rig.run("alice-flood-1a2b3c4d", port: 8080, serverPort: flood.port)
        rig.run("alice-echo-1a2b3c4d", port: 8080, serverPort: echo.port)
        // Stream 1 floods and is never granted more than its first 128 KiB.
        rig.send("tunnel_open", .object(["streamId": .int(1), "sessionId": .string("alice-flood-1a2b3c4d"), "port": .int(8080), "window": .int(128 * 1024)]))
        var flooded = 0
        var seen: [Outbox.Item] = []
        while flooded < 128 * 1024 {
            let item = try #require(await rig.next(), "stream 1 sent \(flooded) bytes")
            if let (_, payload) = Self.data(item) { flooded += payload.count }
        }
        let beyond = await rig.next(timeout: .milliseconds(300))
        #expect(beyond == nil, "stream 1 sent beyond its window: \(String(describing: beyond?.message?.type))")
        // Meanwhile another stream and a heartbeat go through at once.
        rig.send("tunnel_open", .object(["streamId": .int(2), "sessionId": .string("alice-echo-1a2b3c4d"), "port": .int(8080), "window": .int(65536)]))
        _ = await rig.until({ Self.type($0) == "tunnel_opened" }, seen: &seen)
        let began = ContinuousClock.now
        rig.traffic.receiveData(TunnelData.frame(streamId: 2, payload: ByteBuffer(string: "ping")))
        rig.outbox.send(Message(type: "heartbeat", payload: .object([:])))
        var gotHeartbeat = false, gotEcho = false
        while !(gotHeartbeat && gotEcho) {
            let item = try #require(await rig.next(timeout: .seconds(2)))
            if Self.type(item) == "heartbeat" { gotHeartbeat = true }
            if let (id, payload) = Self.data(item) {
                #expect(id == 2 && payload == Array("ping".utf8))
                gotEcho = true
            }
        }
        print("SessionTraffic: with a stalled stream, an echo and a heartbeat took \(ContinuousClock.now - began)")
        #expect(flooded == 128 * 1024)
        // A stream that stops running ends its streams.
        rig.cache.update(SessionStatus(sessionId: "alice-flood-1a2b3c4d", state: .terminated))
        let reset = await rig.until({ Self.type($0) == "tunnel_reset" }, seen: &seen)
        #expect(reset?.message?.payload["streamId"] == .int(1))
    }

    @Test func theStockServersRelayIsRoutedBySessionForTwoSessionsAtOnce() async throws {
        let first = try await LoopbackServer(.echo)
        let second = try await LoopbackServer(.echo)
        defer { Task { await first.stop(); await second.stop() } }
        var rig = Rig()
        rig.ignoresRelay = false
        // Running: each session's viewer connection opens and says vnc_ready.
        rig.run("alice-vnc-1a2b3c4d", port: 3000, name: "vnc", serverPort: first.port)
        rig.run("bob-vnc-1a2b3c4d", port: 3000, name: "vnc", serverPort: second.port)
        var seen: [Outbox.Item] = []
        var ready: Set<String> = []
        while ready.count < 2 {
            let item = try #require(await rig.until({ Self.type($0) == "vnc_ready" }, seen: &seen))
            let payload = try #require(item.message?.payload)
            #expect(payload["vncPort"] == .int(3000))
            #expect(payload["podName"]?.stringValue == "ss-\(payload["sessionId"]?.stringValue ?? "")")
            ready.insert(payload["sessionId"]?.stringValue ?? "")
        }
        // The stock server's raw string to one, base64 to the other.
        rig.send("vnc_data", .object(["sessionId": .string("alice-vnc-1a2b3c4d"), "data": .string("RFB 003.008\n")]))
        rig.send("vnc_data", .object(["sessionId": .string("bob-vnc-1a2b3c4d"), "data": .string(Data([0, 1, 254, 255]).base64EncodedString())]))
        var received: [String: [UInt8]] = [:]
        while received["alice-vnc-1a2b3c4d"]?.count != 12 || received["bob-vnc-1a2b3c4d"]?.count != 4 {
            let item = try #require(await rig.until({ Self.type($0) == "vnc_data" }, seen: &seen))
            let payload = try #require(item.message?.payload)
            let bytes = try #require(Data(base64Encoded: payload["data"]?.stringValue ?? ""), "vnc_data the agent sends is base64")
            received[payload["sessionId"]?.stringValue ?? "", default: []] += Array(bytes)
        }
        #expect(received["alice-vnc-1a2b3c4d"] == Array("RFB 003.008\n".utf8))
        #expect(received["bob-vnc-1a2b3c4d"] == [0, 1, 254, 255])
        #expect(rig.logs.all.filter { $0.contains("is not base64") }.count == 1)

        // vnc_close closes it; the next vnc_data opens it again (vnc_ready again).
        rig.send("vnc_close", .object(["sessionId": .string("alice-vnc-1a2b3c4d"), "reason": .string("client_disconnect")]))
        #expect(rig.traffic.relay.openConnections == 1)
        rig.send("vnc_data", .object(["sessionId": .string("alice-vnc-1a2b3c4d"), "data": .string("again")]))
        let again = await rig.until({ Self.type($0) == "vnc_ready" }, seen: &seen)
        #expect(again?.message?.payload["sessionId"] == .string("alice-vnc-1a2b3c4d"))
        // A session this agent does not run answers vnc_error.
        rig.send("vnc_data", .object(["sessionId": .string("carol-vnc-1a2b3c4d"), "data": .string("x")]))
        let error = await rig.until({ Self.type($0) == "vnc_error" }, seen: &seen)
        #expect(error?.message?.payload["sessionId"] == .string("carol-vnc-1a2b3c4d"))
        for item in seen {
            if let message = item.message { #expect(GoTypes.mismatch(type: message.type, payload: message.payload) == nil) }
        }
    }
}
