import DriverModel
import DriverSDK
import NIOCore
import NIOWebSocket
import PlatformKit
import Synchronization

/// The session each instance name belongs to, as last seen: a deleted instance can no longer
/// be read, and its event names only the instance.
final class InstanceDirectory: Sendable {
    private let sessions = Mutex<[String: String]>([:])

    func remember(_ record: InstanceRecord) {
        sessions.withLock { $0[record.name] = record.sessionID }
    }

    func session(of instance: String) -> String? { sessions.withLock { $0[instance] } }

    func forget(_ instance: String) { sessions.withLock { _ = $0.removeValue(forKey: instance) } }
}

/// Follows LXD's lifecycle events (a WebSocket on /1.0/events, over the unix socket or HTTPS
/// like every other call) and tells the host when one of the driver's instances starts, stops
/// or is deleted, whoever did it — `lxc stop` by hand, an OOM kill — so the Control Plane hears
/// of it within moments rather than at the agent's next look. The stream is opened again when
/// it drops (LXD restarted), by PlatformKit's EventStreamFollower.
struct LXDEventWatcher: Sendable {
    let lxd: LXDClient
    let host: DriverHost
    let instances: InstanceDirectory
    /// The session status of an instance, read from LXD now; nil when it is gone or not ours.
    let lookUp: @Sendable (_ instance: String) async throws(DriverError) -> SessionStatus?

    func run() async {
        await EventStreamFollower.follow(ended: { reason, delay in
            host.log(.debug, "lxd: the event stream ended (\(reason)); opening it again in \(delay)")
        }, stream: { opened in
            let connection = try await lxd.http.webSocket("/1.0/events", query: [("type", "lifecycle"), ("project", lxd.project)])
            opened()
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    switch frame.opcode {
                    case .text, .binary:
                        if let event = LXDLifecycleEvent(parsing: Array(frame.unmaskedData.readableBytesView)) {
                            await report(event)
                        }
                    case .ping:
                        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(),
                                                                data: frame.unmaskedData))
                    case .connectionClose:
                        return
                    default:
                        break
                    }
                }
            }
        })
    }

    /// One event: the session's state as LXD has it now (the platform is the record, and
    /// events may come late).
    private func report(_ event: LXDLifecycleEvent) async {
        guard event.changesState, event.project == lxd.project, !Task.isCancelled else { return }
        let known = instances.session(of: event.instance)
        do {
            var status = try await lookUp(event.instance)
            // A stop's event may come before the state reads "Stopped": look again, briefly.
            var looks = 1
            while event.isStop, status?.state == .running, looks < 40, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                status = try await lookUp(event.instance)
                looks += 1
            }
            guard !Task.isCancelled else { return }
            if let status {
                host.sessionChanged(status)
            } else if let known {
                // Gone: only an instance seen as ours before is reported, never a stranger's.
                instances.forget(event.instance)
                host.sessionChanged(SessionStatus(sessionId: known, state: .terminated))
            }
        } catch {
            host.log(.debug, "lxd: could not read \(event.instance) after its event \(event.action): \(error.message)")
        }
    }
}
