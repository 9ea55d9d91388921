import BenchSupport
import ControlPlaneProtocol
import DriverModel
import Foundation
import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import Synchronization
import WSClient

/// A Control Plane as lean as the echo server: it approves any registration, sends commands
/// and notices `complete` by a substring, parsing nothing. Measuring through it isolates the
/// agent's cost from the dev control plane's strict bookkeeping.
final class LeanControlPlane: Sendable {
    let port: Int
    private let task: Task<Void, any Error>
    private let state: State

    final class State: Sendable {
        let outbound = Mutex<WebSocketOutboundWriter?>(nil)
        /// A command's completion, whichever comes first: the `complete` or the wait for it.
        enum Slot { case waiting(CheckedContinuation<Void, Never>), done }
        let slots = Mutex<[String: Slot]>([:])

        func completed(_ id: String) {
            let waiter: CheckedContinuation<Void, Never>? = slots.withLock { slots in
                if case .waiting(let continuation)? = slots[id] {
                    slots[id] = nil
                    return continuation
                }
                slots[id] = .done
                return nil
            }
            waiter?.resume()
        }

        func wait(_ id: String) async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = slots.withLock { slots -> Bool in
                    if case .done? = slots[id] {
                        slots[id] = nil
                        return true
                    }
                    slots[id] = .waiting(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        }
        let connected = Mutex<Bool>(false)
    }

    private init(port: Int, task: Task<Void, any Error>, state: State) {
        self.port = port
        self.task = task
        self.state = state
    }

    static func start(certificate: String, key: String) async throws -> LeanControlPlane {
        let state = State()
        let router = Bench.leanRouter()
        let wsRouter = Router(context: BasicWebSocketRequestContext.self)
        wsRouter.ws(RouterPath(stringLiteral: Registration.connectPath)) { inbound, outbound, _ in
            state.outbound.withLock { $0 = outbound }
            state.connected.withLock { $0 = true }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                // A complete names its command: {"payload":{"commandId":"…",…},"type":"complete"}
                guard Bench.offset(after: #""type":"complete""#, in: text) != nil,
                      let start = Bench.offset(after: #""commandId":""#, in: text),
                      let id = Bench.stringValue(in: text, at: start) else { continue }
                state.completed(id)
            }
        }
        let (port, task) = try await startTLSServer(router: router, webSocketRouter: wsRouter, certificate: certificate, key: key)
        return LeanControlPlane(port: port, task: task, state: state)
    }

    var isConnected: Bool { state.connected.withLock { $0 } }

    /// Sends the commands (one frame each) and returns when every one has its `complete`.
    func run(_ commands: [Command]) async throws {
        guard let outbound = state.outbound.withLock({ $0 }) else { throw CancellationError() }
        for command in commands {
            try await outbound.write(.text(Message(type: "command", payload: command.json).encoded()))
        }
        for command in commands { await state.wait(command.commandId) }
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}
