import ControlPlaneProtocol
import Logging
import NIOCore

/// A person's way into a running session through the agent's link: the stock server's VNC
/// relay and the session tunnel, kept in step with the sessions (a relay opens when a session
/// runs; streams and relay end when it stops) and with the link (all end when it goes down).
final class SessionTraffic: Sendable {
    let tunnel: SessionTunnel
    let relay: VNCRelay
    private let cache: SessionCache

    init(outbox: Outbox, cache: SessionCache, logger: Logger, encoding: VNCDataEncoding) {
        tunnel = SessionTunnel(outbox: outbox, cache: cache, logger: logger)
        relay = VNCRelay(outbox: outbox, cache: cache, logger: logger, encoding: encoding)
        self.cache = cache
        cache.observe { [tunnel, relay, cache] id in
            if cache.status(of: id)?.state == .running {
                relay.sessionRunning(id)
            } else {
                tunnel.sessionNotRunning(id)
                relay.sessionNotRunning(id)
            }
        }
    }

    /// Whether this message is session traffic (handled here, not by the command path).
    static func handles(_ type: String) -> Bool {
        TunnelMessage.types.contains(type) || VNCRelayMessage.types.contains(type)
    }

    func receive(_ message: Message) {
        if VNCRelayMessage.types.contains(message.type) {
            relay.receive(message)
        } else {
            tunnel.receive(message)
        }
    }

    func receiveData(_ frame: ByteBuffer) { tunnel.receiveData(frame) }

    func closeAll() {
        tunnel.closeAll()
        relay.closeAll()
    }
}
