import AgentHost
import ArgumentParser
import Glibc

@main
struct Agent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The StreamSpace agent: runs desktop and app sessions on this platform for a StreamSpace Control Plane.",
        discussion: """
            The agent loads a platform driver (a shared object speaking the C ABI in \
            streamspace_driver.h) and drives sessions through it.

            Drivers are given as a path (--driver /usr/lib/streamspace/lxd.so) or a name \
            (--driver lxd), looked up as NAME.so and libNAME.so in STREAMSPACE_DRIVER_PATH, \
            /usr/lib/streamspace and the agent binary's own folder.

            Examples:
              agent driver-info --driver mock
              agent driver-check --driver mock
              agent driver-check --driver ./libmydriver.so --driver-config '{"endpoint":"..."}'
            """,
        subcommands: [RunCommand.self, DemoCommand.self, DriverInfoCommand.self, DriverCheckCommand.self, DevControlPlaneCommand.self],
        defaultSubcommand: RunCommand.self
    )

    /// ArgumentParser's own `main`, except for how an error goes out: in the `--log-format`
    /// asked for (one JSON object under json) and redacted, like every other line on stderr.
    ///
    /// The command runs off the main actor and the process exits from there: `main` is on the
    /// main actor, and a driver library that brings Foundation along can hand the main queue to
    /// a run loop nobody runs, so a hop back to it would hang the process at exit.
    static func main() async {
        await Task.detached { await runAndExit() }.value
    }

    private nonisolated static func runAndExit() async -> Never {
        ProcessLog.learnSecrets(arguments: CommandLine.arguments, environment: ProcessEnvironment.current)
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            fail(error)
        }
        fflush(nil)
        Glibc.exit(0)
    }

    private static func fail(_ error: any Error) -> Never {
        if let error = error as? CLIError { error.exit() }
        let code = exitCode(for: error)
        // --help and --version are output, not errors: ArgumentParser prints them on stdout.
        guard code != .success else { exit(withError: error) }
        switch ProcessLog.format {
        case .text: printError(ProcessLog.redactor.redact(fullMessage(for: error)))
        case .json: ProcessLog.fatal([message(for: error) + usageHint(for: error)])
        }
        Glibc.exit(code.rawValue)
    }

    /// The usage text's last line ("See 'agent run --help' for more information."), which says
    /// what to do; the rest of the usage text is for a terminal.
    private static func usageHint(for error: any Error) -> String {
        let full = fullMessage(for: error)
        guard let hint = full.split(separator: "\n").last(where: { $0.contains("--help") }) else { return "" }
        let see = String(hint).trimmingCharacters(in: " ")
        return "; " + see.prefix(1).lowercased() + see.dropFirst()
    }
}
