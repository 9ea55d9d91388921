/// Waiting for a command's outcome without polling (benchmarks send thousands).
extension ControlPlaneStore {
    struct CommandWaiter {
        var token: Int
        var continuation: CheckedContinuation<CommandRecord?, Never>
        var timer: Task<Void, Never>?
    }

    /// The command once it completed or failed; nil for an unknown command. After `timeout`,
    /// the record as it is then.
    func commandResult(_ commandId: String, timeout: Duration) async -> CommandRecord? {
        guard let command = commands[commandId] else { return nil }
        if command.state == .completed || command.state == .failed { return command }
        let token = nextWaiterToken
        nextWaiterToken += 1
        return await withCheckedContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                await self?.expireWaiter(commandId, token: token)
            }
            commandWaiters[commandId, default: []].append(CommandWaiter(token: token, continuation: continuation, timer: timer))
        }
    }

    /// Called whenever a command record changes.
    func commandChanged(_ command: CommandRecord) {
        guard command.state == .completed || command.state == .failed,
              let waiters = commandWaiters.removeValue(forKey: command.commandId) else { return }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: command)
        }
    }

    private func expireWaiter(_ commandId: String, token: Int) {
        guard var waiters = commandWaiters[commandId], let index = waiters.firstIndex(where: { $0.token == token }) else { return }
        let waiter = waiters.remove(at: index)
        commandWaiters[commandId] = waiters.isEmpty ? nil : waiters
        waiter.continuation.resume(returning: commands[commandId])
    }

    /// On stop: nobody waits for answers that will not come.
    func releaseAllWaiters() {
        for (commandId, waiters) in commandWaiters {
            for waiter in waiters {
                waiter.timer?.cancel()
                waiter.continuation.resume(returning: commands[commandId])
            }
        }
        commandWaiters = [:]
    }
}
