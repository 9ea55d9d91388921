import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import WSClient

/// The baseline: a WebSocket server that echoes every text message, over the same loopback
/// TLS, driven by the same client library the agent uses.
struct EchoServer: Sendable {
    let port: Int
    let task: Task<Void, any Error>

    static func start(certificate: String, key: String) async throws -> EchoServer {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/echo") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                if case .text(let text) = message { try await outbound.write(.text(text)) }
            }
        }
        // The agent's exchange without the agent: one message in, three answers out (the sizes
        // of ack, status and complete), as every command costs by protocol.
        router.ws("/echo3") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text = message else { continue }
                for reply in EchoServer.replies { try await outbound.write(.text(reply)) }
            }
        }
        let (port, task) = try await startTLSServer(router: Router(), webSocketRouter: router, certificate: certificate, key: key)
        return EchoServer(port: port, task: task)
    }

    /// Messages the size of an agent's ack, status and complete for one command.
    static let replies = [
        String(repeating: "a", count: 100), String(repeating: "s", count: 330), String(repeating: "c", count: 170),
    ]

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    private func client(caFile: String, path: String = "/echo", _ body: @escaping @Sendable (WebSocketInboundStream, WebSocketOutboundWriter) async throws -> Void) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        var logger = Logger(label: "echo-client")
        logger.logLevel = .error
        try await WebSocketClient.connect(url: "wss://localhost:\(port)\(path)",
                                          configuration: .init(maxFrameSize: 1 << 20), tlsConfiguration: tls,
                                          logger: logger) { inbound, outbound, _ in
            try await body(inbound, outbound)
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    /// One message at a time: send, wait for the echo (or the three answers, with `triple`).
    func roundTrips(_ message: String, count: Int, caFile: String, triple: Bool = false) async throws -> Latencies {
        let samples = SampleBox()
        try await client(caFile: caFile, path: triple ? "/echo3" : "/echo") { inbound, outbound in
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            for _ in 0..<count {
                let start = ContinuousClock.now
                try await outbound.write(.text(message))
                for _ in 0..<(triple ? 3 : 1) { _ = try await messages.next() }
                samples.append(microseconds(since: start))
            }
        }
        return Latencies(microseconds: samples.values)
    }

    /// `inFlight` messages outstanding at all times for `rounds` rounds; messages per second.
    func throughput(_ message: String, inFlight: Int, rounds: Int, caFile: String, triple: Bool = false) async throws -> Double {
        let result = SampleBox()
        try await client(caFile: caFile, path: triple ? "/echo3" : "/echo") { inbound, outbound in
            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            let start = ContinuousClock.now
            for _ in 0..<rounds {
                for _ in 0..<inFlight { try await outbound.write(.text(message)) }
                for _ in 0..<(inFlight * (triple ? 3 : 1)) { _ = try await messages.next() }
            }
            result.append(Double(inFlight * rounds) / (microseconds(since: start) / 1e6))
        }
        return result.values.first ?? 0
    }
}

final class SampleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func append(_ value: Double) { lock.withLock { storage.append(value) } }
    var values: [Double] { lock.withLock { storage } }
}

/// Runs a Hummingbird application with WebSocket upgrade over TLS on an ephemeral loopback
/// port; returns the port and the task running it.
func startTLSServer(router: Router<BasicRequestContext>, webSocketRouter: Router<BasicWebSocketRequestContext>,
                    certificate: String, key: String) async throws -> (Int, Task<Void, any Error>) {
    let tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "bench-server")
    logger.logLevel = .critical
    let app = Application(
        router: router,
        server: try .tls(.http1WebSocketUpgrade(webSocketRouter: webSocketRouter), tlsConfiguration: tls),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
        logger: logger)
    let task = Task { try await app.runService() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    return (port, task)
}
