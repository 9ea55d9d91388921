import ControlPlaneProtocol
import DriverModel

/// What strict decoding costs a `start_session`: the real-server Firefox command (the Template CRD
/// in full), read frame → message → command → SessionSpec through the field table, beside the
/// lenient translation the agent had before (same run, same input). Prints figures; asserts nothing.
///
///     swift build -c release && .build/release/DecodeBench
@main
struct DecodeBench {
    static let frame = #"""
        {"type":"command","timestamp":"2025-12-04T13:11:05.123456789-07:00","payload":{"commandId":"cmd-3f9c2a7e-5b1d-4e8a-9c0f-1d2e3f4a5b6c","action":"start_session","payload":{"sessionId":"alice-firefox-1a2b3c4d","user":"alice","template":"firefox","namespace":"streamspace","memory":"4Gi","cpu":"2000m","persistentHome":true,"idleTimeout":"30m","maxSessionDuration":"8h","tags":["browser","web"],"templateManifest":{"apiVersion":"stream.space/v1alpha1","kind":"Template","metadata":{"name":"firefox","namespace":"streamspace","labels":{"app.kubernetes.io/managed-by":"streamspace"}},"spec":{"displayName":"Firefox Web Browser","description":"Modern, privacy-focused web browser","category":"Web Browsers","baseImage":"lscr.io/linuxserver/firefox:latest","defaultResources":{"memory":"2Gi","cpu":"1000m"},"ports":[{"name":"vnc","containerPort":3000,"protocol":"TCP"}],"env":[{"name":"PUID","value":"1000"},{"name":"PGID","value":"1000"},{"name":"TZ","value":"Etc/UTC"}],"volumeMounts":[{"name":"user-home","mountPath":"/config"}],"vnc":{"enabled":true,"port":3000,"protocol":"websocket","encryption":false},"webapp":{"enabled":false},"capabilities":["Network","Audio","Clipboard"],"tags":["browser","web","privacy"]}}}}}
        """#

    static func main() throws {
        print("start_session decoding (\(isDebugBuild ? "DEBUG build: figures are not representative" : "release build")), \(frame.utf8.count)-byte command")
        let bytes = Array(frame.utf8)
        let message = try Message.decode(bytes: bytes).get()
        let command = try Command.parse(message.payload).get()
        // The same spec either way, or the comparison means nothing.
        let strict = try CommandTranslation.sessionSpec(fromStart: command.payload)
        let lenient = try LenientTranslation.sessionSpec(fromStart: command.payload)
        precondition(strict.template.image == lenient.template.image && strict.resources == lenient.resources)

        let parse = measure { UInt64(try! Message.decode(bytes: bytes).get().type.utf8.count) }
        let lenientSpec = measure { UInt64(try! LenientTranslation.sessionSpec(fromStart: command.payload).template.env.count) }
        let strictSpec = measure { UInt64(try! CommandTranslation.sessionSpec(fromStart: command.payload).template.env.count) }
        let lenientWhole = parse + measure { UInt64(try! LenientTranslation.sessionSpec(fromStart: Command.parse(message.payload).get().payload).user.utf8.count) }
        let strictWhole = parse + measure { UInt64(try! CommandTranslation.sessionSpec(fromStart: Command.parse(message.payload).get().payload).user.utf8.count) }
        print(row("JSON parse + envelope (Message.decode), both", parse))
        print(row("payload → SessionSpec, lenient (before the field table)", lenientSpec))
        print(row("payload → SessionSpec, strict (field table)", strictSpec) + "  = \(format(strictSpec / lenientSpec))× lenient")
        print(row("frame → SessionSpec, lenient", lenientWhole))
        print(row("frame → SessionSpec, strict", strictWhole) + "  = \(format(strictWhole / lenientWhole))× lenient")
    }

    static var isDebugBuild: Bool {
        var debug = false
        assert({ debug = true; return true }())
        return debug
    }

    /// Best of five runs of 20,000, in nanoseconds per run.
    static func measure(_ body: () -> UInt64) -> Double {
        var best = Double.infinity
        var sink: UInt64 = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<20_000 { sink &+= body() }
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            best = min(best, (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / 20_000)
        }
        if sink == 42 { print("") }  // keeps the work observable
        return best
    }

    static func row(_ label: String, _ nanoseconds: Double) -> String {
        let text = "\(Int(nanoseconds.rounded()))"
        return label.padding(62) + String(repeating: " ", count: max(0, 8 - text.count)) + text + " ns"
    }

    static func format(_ value: Double) -> String { "\((value * 100).rounded() / 100)" }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
