import AsyncHTTPClient
import DriverModel
import NIOCore
import NIOPosix
@testable import PlatformKit
import Synchronization
import Testing

/// How the platform client shares its connections: a burst of requests larger than its pool
/// waits its turn instead of failing, streams have connections of their own, and a request
/// that cannot get a connection within its own timeout says why. Against a loopback HTTP/1.1
/// server whose answers take a while, as a loaded API server's do.
@Suite struct PlatformPoolTests {
    /// Before the requests queued in the client, AsyncHTTPClient's pool bounded the wait for a
    /// connection by the connect timeout: 24 requests of 150 ms each through 2 connections
    /// (about 1.8 s of queue) failed with getConnectionFromPoolTimeout past 300 ms.
    @Test func aBurstLargerThanThePoolWaitsItsTurn() async throws {
        let server = try await PacedServer.start()
        defer { Task { await server.stop() } }
        let client = try PlatformHTTPClient(address: .http(host: "127.0.0.1", port: server.port, tls: nil),
                                            platformName: "the test server", maxConnections: 2,
                                            connectTimeout: .milliseconds(300))
        defer { Task { await client.shutdown() } }  // also when the test throws
        let statuses = await withTaskGroup(of: Result<Int, DriverError>.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    do throws(DriverError) {
                        return .success(try await client.request(.GET, "/slow", timeout: .seconds(60)).status)
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let failures = statuses.compactMap { if case .failure(let error) = $0 { error.message } else { nil } }
        #expect(failures.isEmpty, "\(failures.count) of 24 failed, first: \(failures.first ?? "")")
        #expect(statuses.allSatisfy { if case .success(200) = $0 { true } else { false } })
        #expect(server.connections <= 2, "requests opened \(server.connections) connections")
    }

    /// Watches hold their connection while they last. Before streams had a pool of their own, two
    /// of them took both connections and every request after them failed.
    @Test func openStreamsLeaveTheRequestsTheirConnections() async throws {
        let server = try await PacedServer.start()
        defer { Task { await server.stop() } }
        let client = try PlatformHTTPClient(address: .http(host: "127.0.0.1", port: server.port, tls: nil),
                                            platformName: "the test server", maxConnections: 2, maxStreams: 8,
                                            connectTimeout: .milliseconds(300))
        defer { Task { await client.shutdown() } }  // also when the test throws
        // The iterators are kept: a stream whose reader is gone is cancelled.
        var open: [HTTPClientResponse.Body.AsyncIterator] = []
        for _ in 0..<6 {
            let stream = try await client.stream(.GET, "/stream", timeout: nil)
            var body = stream.body.makeAsyncIterator()
            let first = try await body.next()
            #expect(first.map { String(buffer: $0) } == "open\n")
            open.append(body)
        }
        for _ in 0..<4 {
            #expect(try await client.request(.GET, "/slow", timeout: .seconds(30)).status == 200)
        }
        #expect(open.count == 6 && server.connections >= 7, "the streams and the requests shared connections")
    }

    /// Both connections busy with answers that never come: the third request gives up at its
    /// own timeout, saying that it never got a connection (not that the server was slow to it).
    @Test func aRequestThatNeverGetsAConnectionSaysSo() async throws {
        let server = try await PacedServer.start()
        defer { Task { await server.stop() } }
        let client = try PlatformHTTPClient(address: .http(host: "127.0.0.1", port: server.port, tls: nil),
                                            platformName: "the test server", maxConnections: 2)
        defer { Task { await client.shutdown() } }  // also when the test throws
        let hanging = (0..<2).map { _ in
            Task { try? await client.request(.GET, "/never", timeout: .seconds(60)) }
        }
        while server.requests < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let error = await #expect(throws: DriverError.self) {
            try await client.request(.GET, "/slow", timeout: .milliseconds(300))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("all 2 connections stayed busy") == true, "\(error?.message ?? "")")
        for task in hanging { task.cancel() }
        for task in hanging { _ = await task.value }
        // The cancelled requests gave their connections back.
        #expect(try await client.request(.GET, "/slow", timeout: .seconds(30)).status == 200)
    }
}

/// A loopback HTTP/1.1 server with keep-alive: `/slow` answers after 150 ms, `/stream` sends a
/// chunk and stays open, `/never` never answers.
private final class PacedServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let counts: Counts

    final class Counts: Sendable {
        let connections = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
    }

    var connections: Int { counts.connections.load(ordering: .relaxed) }
    var requests: Int { counts.requests.load(ordering: .relaxed) }

    private init(port: Int, channel: any Channel, counts: Counts) {
        self.port = port
        self.channel = channel
        self.counts = counts
    }

    static func start() async throws -> PacedServer {
        let counts = Counts()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counts.connections.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(counts))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return PacedServer(port: channel.localAddress!.port!, channel: channel, counts: counts)
    }

    func stop() async { try? await channel.close() }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used on its channel's event loop only.
        typealias InboundIn = ByteBuffer
        let counts: Counts
        private var pending = ""

        init(_ counts: Counts) { self.counts = counts }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
            // GETs only: a request is its head.
            while let end = pending.range(of: "\r\n\r\n") {
                let head = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                counts.requests.add(1, ordering: .relaxed)
                let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                answer(path, on: context.channel)
            }
        }

        private func answer(_ path: String, on channel: any Channel) {
            switch path {
            case "/slow":
                channel.eventLoop.scheduleTask(in: .milliseconds(150)) {
                    channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), promise: nil)
                }
            case "/stream":
                channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nopen\n\r\n"),
                                      promise: nil)
            case "/never":
                break
            default:
                channel.writeAndFlush(ByteBuffer(string: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), promise: nil)
            }
        }
    }
}
