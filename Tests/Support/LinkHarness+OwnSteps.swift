import Testing

extension LinkHarness {
    /// Hibernates, wakes and stops a running session through the Control Plane, then checks
    /// that the driver events of those steps (a hibernate stops the workload, a stop removes
    /// it) were the commands' to report: none reached the Control Plane as a failure.
    public func expectOwnStepsReportedByTheirCommandsOnly(_ id: String) async throws {
        _ = try await waitForCommand(try await controlPlane.hibernate(sessionId: id), .completed)
        _ = try await waitForCommand(try await controlPlane.wake(sessionId: id), .completed)
        _ = try await waitForCommand(try await controlPlane.deleteSession(id), .completed)
        try await Task.sleep(for: .seconds(1))  // late events have arrived by now
        let reported = logs.all.filter { $0.contains("session \(id) is now failed") }
        #expect(reported.isEmpty, "\(reported)")
        #expect(await controlPlane.state.session(id)?.state == "terminated")
        await expectNothingRejected()
    }
}
