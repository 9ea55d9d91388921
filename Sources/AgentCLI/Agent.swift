import ArgumentParser

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
}
