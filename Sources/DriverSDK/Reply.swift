import DriverABI
import DriverModel

/// An `ssd_reply` the SDK must answer exactly once (rule R2). Copies nothing: the bytes it
/// passes are borrowed by the host for the duration of the callback (R1).
struct Reply: @unchecked Sendable {
    let raw: ssd_reply

    func send(_ status: DriverStatusCode, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { raw.fn?(raw.ctx, status.rawValue, $0.baseAddress, $0.count) }
        }
    }

    func succeed(_ value: some Encodable) {
        send(.ok, JSONCoding.encode(value))
    }

    func fail(_ error: any Error) {
        let driverError = DriverError(describing: error)
        send(driverError.code, JSONCoding.encode(driverError.json))
    }

    /// Runs `body` on Swift concurrency and replies with its outcome. The host's call returns at
    /// once; the reply comes from whichever thread finishes the work.
    func run<T: Encodable & Sendable>(_ body: @escaping @Sendable () async throws -> T) {
        Task {
            do {
                succeed(try await body())
            } catch {
                fail(error)
            }
        }
    }
}

extension DriverError {
    /// Any Swift error, as the ABI reports it: DriverErrors keep their code, cancellation is
    /// CANCELLED, anything else is a driver bug (INTERNAL).
    init(describing error: any Error) {
        switch error {
        case let error as DriverError: self = error
        case is CancellationError: self.init(.cancelled, "cancelled")
        default: self.init(.internal, "unexpected driver error: \(error)")
        }
    }
}
