import Dispatch

/// Runs driver calls that may block (header: [may-block]) on threads of their own, never on
/// Swift's cooperative pool or a network event loop: a two-minute platform call must not stall
/// anything else. Each call gets a serial (overcommitting) queue, so blocked calls never wait
/// for one another.
enum BlockingCalls {
    static func run(_ work: @escaping @Sendable () -> Void) {
        DispatchQueue(label: "streamspace.driver-call").async(execute: work)
    }
}
