// swift-tools-version:6.0
import PackageDescription

/// Swift drivers bind their own symbols to themselves (-Bsymbolic): a driver's copy of a module
/// must never resolve to the agent's or another driver's copy of it (docs: driver-abi.md,
/// "Symbol interposition").
let swiftDriverLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "-Bsymbolic"]),
]

let package = Package(
    name: "streamspace-agent",
    products: [
        .executable(name: "agent", targets: ["AgentCLI"]),
        .library(name: "DriverSDK", targets: ["DriverSDK"]),
        // Drivers: each builds to lib<name>.so, which `agent --driver <name>` finds.
        .library(name: "mock", type: .dynamic, targets: ["MockDriver"]),
        .library(name: "sample", type: .dynamic, targets: ["SampleDriver"]),
        // A second Swift driver, for the tests of two Swift drivers in one process.
        .library(name: "twin", type: .dynamic, targets: ["TwinDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The contract: one C header, nothing else.
        .target(name: "DriverABI", path: "Sources/DriverABI"),
        // Platform-neutral domain objects (spec, status, metrics, errors) and their JSON form.
        .target(name: "DriverModel", path: "Sources/DriverModel"),
        // What a Swift driver links: implement `StreamSpaceDriver`, export the entry point.
        .target(name: "DriverSDK", dependencies: ["DriverABI", "DriverModel"], path: "Sources/DriverSDK"),
        // The host: loader, driver handle, conformance kit.
        .target(
            name: "AgentHost",
            dependencies: [
                "DriverABI", "DriverModel",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/AgentHost"
        ),
        .executableTarget(
            name: "AgentCLI",
            dependencies: [
                "AgentHost", "DriverModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/AgentCLI"
        ),

        // Drivers.
        .target(name: "MockDriver", dependencies: ["DriverABI"], path: "Plugins/Mock",
                exclude: ["README.md", "tests"],
                publicHeadersPath: ".",
                cSettings: [.unsafeFlags(["-fvisibility=hidden"])]),
        .target(name: "SampleDriver", dependencies: ["DriverSDK"], path: "Plugins/Sample",
                linkerSettings: swiftDriverLinkerSettings),

        .target(name: "TwinDriver", dependencies: ["DriverSDK"], path: "Tests/Drivers/Twin",
                linkerSettings: swiftDriverLinkerSettings),

        // Benchmarks are executables that print figures; they are not tests.
        .executableTarget(name: "ABIBench", dependencies: ["AgentHost", "DriverModel"],
                          path: "Benchmarks/ABIBench"),

        .testTarget(
            name: "AgentHostTests",
            dependencies: ["AgentHost", "DriverModel", "DriverSDK"],
            path: "Tests/AgentHostTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
