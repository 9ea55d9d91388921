import AgentHost
import DriverModel

/// Measures what the driver ABI costs: one call through the function table against a direct
/// Swift call, and JSON round trips across the boundary. Prints figures; asserts nothing.
///
///     swift run -c release ABIBench
@main
struct ABIBench {
    static func main() async throws {
        print("ABI benchmark (\(isDebugBuild ? "DEBUG build: figures are not representative" : "release build"))")
        let direct = DirectDriver()
        let directNs = measure(iterations: 20_000_000) { direct.capabilities() }
        print(row("direct Swift call (non-inlined method)", directNs, unit: "ns/call"))

        for name in ["mock", "sample"] {
            let library = try DriverLibrary.load(path: try DriverSearchPath.standard().resolve(name))
            let driver = try await Driver.create(library)
            let language = name == "mock" ? "C" : "Swift"

            let tableNs = measure(iterations: 20_000_000) { driver.capabilitiesNow() }
            print(row("\(name) (\(language)): capabilities() through the table", tableNs, unit: "ns/call")
                  + "  = \(format(tableNs / directNs, digits: 2))× direct")

            let describeNs = measure(iterations: 200_000) { UInt64(driver.describeNow()?.json.count ?? 0) }
            print(row("\(name) (\(language)): describe, JSON bytes copied out", describeNs, unit: "ns/call"))

            let id = "bench-\(name)"
            _ = try await driver.start(SessionSpec(id: id, user: "bench", template: .init(image: "busybox", ports: [.init(name: "http", port: 8080)])))
            let rawGetNs = try await measureAsync(iterations: 20_000) { UInt64(await driver.call(.get, Array(id.utf8)).json.count) }
            print(row("\(name) (\(language)): get_session raw (worker-thread hop + reply)", rawGetNs, unit: "ns/call"))
            let typedGetNs = try await measureAsync(iterations: 20_000) { UInt64(try await driver.session(id).endpoints.count) }
            print(row("\(name) (\(language)): get_session typed (+ JSON encode/decode)", typedGetNs, unit: "ns/call"))
            _ = try await driver.stop(StopRequest(sessionId: id))
            await driver.destroy()
        }
    }

    static var isDebugBuild: Bool {
        var debug = false
        assert({ debug = true; return true }())
        return debug
    }

    /// Best of five runs, in nanoseconds per iteration.
    static func measure(iterations: Int, _ body: () -> UInt64) -> Double {
        var best = Double.infinity
        var sink: UInt64 = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<iterations { sink &+= body() }
            best = min(best, nanoseconds(ContinuousClock.now - start) / Double(iterations))
        }
        blackHole(sink)
        return best
    }

    static func measureAsync(iterations: Int, _ body: @Sendable () async throws -> UInt64) async throws -> Double {
        var best = Double.infinity
        var sink: UInt64 = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<iterations { sink &+= try await body() }
            best = min(best, nanoseconds(ContinuousClock.now - start) / Double(iterations))
        }
        blackHole(sink)
        return best
    }

    static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }

    static func row(_ label: String, _ value: Double, unit: String) -> String {
        label.rightPad(62) + format(value, digits: value < 10 ? 2 : 0).leftPad(9) + " " + unit
    }

    static func format(_ value: Double, digits: Int) -> String {
        let scale = (0..<digits).reduce(1.0) { acc, _ in acc * 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// The direct-call baseline: the same work as a driver's capabilities() (load a stored field),
/// behind a call the optimiser may neither inline nor hoist out of the loop (the counter is a
/// side effect it must keep, as it must keep an opaque C call).
final class DirectDriver: @unchecked Sendable {
    var bits: UInt64 = 0x3F
    var calls: UInt64 = 0
    @inline(never) func capabilities() -> UInt64 {
        calls &+= 1
        return bits
    }
}

@inline(never) func blackHole(_ value: UInt64) {
    if value == 0x5EED_5EED_5EED { print("") }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension String {
    func rightPad(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
