import DriverModel

extension ConformanceKit {
    static let logChecks: [Check] = [
        Check("logs-tail", rule: "open_logs", requires: [.logs]) { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            let stream = context.driver.openLogs(LogRequest(sessionId: id, follow: false, tailLines: 2))
            let (bytes, end) = try await withDeadline(context.options.operationTimeout, "log tail") { await stream.collect() }
            try expect(end == nil, "a tail without follow must end OK, ended \(end.map { "\($0)" } ?? "")")
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).count
            try expect(lines <= 2, "tailLines 2 delivered \(lines) lines")
            _ = try await context.stop(id)
        },
        Check("logs-follow-cancel", rule: "open_logs/cancel_logs", requires: [.logs, .logsFollow]) { context in
            let id = context.newSessionID()
            try await context.startRunning(id)
            let stream = context.driver.openLogs(LogRequest(sessionId: id, follow: true, tailLines: 10))
            // A followed stream of a running session stays open until cancelled.
            let early = try? await withDeadline(1.0, "follow") { () -> DriverLogStream.Event? in
                while let event = await stream.next() {
                    if case .end = event { return event }
                }
                return nil
            }
            if let early, case .end(let error) = early {
                throw CheckFailure("a followed stream ended by itself while the session runs (\(error.map { "\($0)" } ?? "OK"))")
            }
            stream.cancel()
            let (_, end) = try await withDeadline(context.options.operationTimeout, "log cancel") { await stream.collect() }
            try expect(end?.code == .cancelled, "a cancelled stream must end CANCELLED, ended \(end.map { "\($0)" } ?? "OK")")
            _ = try await context.stop(id)
        },
        Check("logs-errors", rule: "open_logs", requires: [.logs]) { context in
            let unknown = context.driver.openLogs(LogRequest(sessionId: context.newSessionID()))
            let (_, notFound) = try await withDeadline(context.options.operationTimeout, "logs of an unknown session") { await unknown.collect() }
            try expect(notFound?.code == .notFound, "logs of an unknown session must end NOT_FOUND, ended \(notFound.map { "\($0)" } ?? "OK")")
            let invalid = context.driver.openLogs(raw: Array("{\"sessionId\":\"../x\"}".utf8))
            let (_, rejected) = try await withDeadline(context.options.operationTimeout, "logs with an invalid id") { await invalid.collect() }
            try expect(rejected?.code == .invalidArgument, "logs with session id ../x must end INVALID_ARGUMENT, ended \(rejected.map { "\($0)" } ?? "OK")")
        },
        Check("logs-backpressure", rule: "SSD_FLOW_PAUSE", requires: [.logs, .logsFollow]) { context in
            // A reader that does not read: the driver must pause at the host's mark, not fill
            // memory. The bound is the mark plus one write.
            let id = context.newSessionID()
            try await context.startRunning(id)
            let mark = 256
            let stream = context.driver.openLogs(LogRequest(sessionId: id, follow: true), highWaterBytes: mark)
            try await Task.sleep(for: .seconds(1))
            let peak = stream.peakBufferedBytes
            stream.cancel()
            _ = try await withDeadline(context.options.operationTimeout, "log cancel") { await stream.collect() }
            try expect(peak <= mark + 64 * 1024, "with a stalled reader the host buffered \(peak) bytes: the driver ignored SSD_FLOW_PAUSE")
            _ = try await context.stop(id)
        },
    ]
}
