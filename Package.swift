// swift-tools-version:6.1
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
        .library(name: "docker", type: .dynamic, targets: ["DockerDriverEntry"]),
        .library(name: "lxd", type: .dynamic, targets: ["LXDDriverEntry"]),
        .library(name: "kubernetes", type: .dynamic, targets: ["KubernetesDriverEntry"]),
        // A second Swift driver, for the tests of two Swift drivers in one process.
        .library(name: "twin", type: .dynamic, targets: ["TwinDriver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        // Without its default traits: FullFoundation would load Foundation and ICU into the agent
        // (~6 MB of resident pages) for a date formatter we never use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // kubeconfig is YAML; the Kubernetes driver reads it with a real parser.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // The contract: one C header, nothing else.
        .target(name: "DriverABI", path: "Sources/DriverABI"),
        // Platform-neutral domain objects (spec, status, metrics, errors) and their JSON form.
        .target(name: "DriverModel", path: "Sources/DriverModel"),
        // The Control Plane's agent protocol: messages, strict JSON, framing, registration,
        // command translation, the session tunnel's frames and flow control. No sockets (NIOCore
        // for its byte buffers only): both the agent and the dev control plane use it.
        .target(name: "ControlPlaneProtocol", dependencies: ["DriverModel", .product(name: "NIOCore", package: "swift-nio")],
                path: "Sources/ControlPlaneProtocol"),
        // What a Swift driver links: implement `StreamSpaceDriver`, export the entry point.
        .target(name: "DriverSDK", dependencies: ["DriverABI", "DriverModel"], path: "Sources/DriverSDK"),
        // The WebSocket mask done eight bytes at a time, and a client encoder that uses it.
        .target(
            name: "WebSocketMasking",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Sources/WebSocketMasking"
        ),
        // What drivers of REST platforms share: the HTTP and WebSocket clients (unix socket or
        // TCP/TLS), strict driver config, the mapping of platform errors to status codes, and
        // the local host's own figures (/proc, statfs).
        .target(
            name: "PlatformKit",
            dependencies: [
                "DriverModel", "WebSocketMasking",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Sources/PlatformKit"
        ),
        // The host: loader, driver handle, conformance kit.
        .target(
            name: "AgentHost",
            dependencies: [
                "DriverABI", "DriverModel", "ControlPlaneProtocol", "PlatformKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/AgentHost"
        ),
        // A Control Plane for development and tests: the real server's agent endpoints, as
        // strict as it is, plus our extension messages and an admin API.
        .target(
            name: "DevControlPlane",
            dependencies: [
                "ControlPlaneProtocol", "DriverModel", "WebSocketMasking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/DevControlPlane"
        ),
        .executableTarget(
            name: "AgentCLI",
            dependencies: [
                "AgentHost", "DriverModel", "ControlPlaneProtocol", "DevControlPlane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
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

        // A REST driver is two targets: its code, which tests and fuzzers link directly, and
        // its exported C entry point (Entry/), which only its shared object links — two drivers'
        // entry points in one test binary would be a duplicate symbol.
        .target(name: "DockerDriver",
                dependencies: ["DriverSDK", "DriverModel", "PlatformKit",
                               .product(name: "NIOHTTP1", package: "swift-nio")],
                path: "Plugins/Docker", exclude: ["README.md", "Entry"]),
        .target(name: "DockerDriverEntry", dependencies: ["DockerDriver", "DriverABI", "DriverSDK"], path: "Plugins/Docker/Entry",
                linkerSettings: swiftDriverLinkerSettings),

        .target(name: "LXDDriver",
                dependencies: ["DriverSDK", "DriverModel", "PlatformKit",
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOWebSocket", package: "swift-nio")],
                path: "Plugins/LXD", exclude: ["README.md", "Entry"]),
        .target(name: "LXDDriverEntry", dependencies: ["LXDDriver", "DriverABI", "DriverSDK"], path: "Plugins/LXD/Entry",
                linkerSettings: swiftDriverLinkerSettings),

        .target(name: "KubernetesDriver",
                dependencies: ["DriverSDK", "DriverModel", "PlatformKit",
                               .product(name: "AsyncHTTPClient", package: "async-http-client"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOHTTP1", package: "swift-nio"),
                               .product(name: "NIOSSL", package: "swift-nio-ssl"),
                               .product(name: "Yams", package: "Yams")],
                path: "Plugins/Kubernetes", exclude: ["README.md", "Entry"]),
        .target(name: "KubernetesDriverEntry", dependencies: ["KubernetesDriver", "DriverABI", "DriverSDK"],
                path: "Plugins/Kubernetes/Entry", linkerSettings: swiftDriverLinkerSettings),

        .target(name: "TwinDriver", dependencies: ["DriverSDK"], path: "Tests/Drivers/Twin",
                linkerSettings: swiftDriverLinkerSettings),

        // Benchmarks are executables that print figures; they are not tests.
        .executableTarget(name: "ABIBench", dependencies: ["AgentHost", "DriverModel"],
                          path: "Benchmarks/ABIBench"),
        .executableTarget(name: "DecodeBench", dependencies: ["ControlPlaneProtocol", "DriverModel"],
                          path: "Benchmarks/DecodeBench"),
        .executableTarget(
            name: "LinkBench",
            dependencies: [
                "AgentHost", "BenchSupport", "DevControlPlane", "ControlPlaneProtocol", "DriverModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            path: "Benchmarks/LinkBench"),

        .target(name: "BenchSupport", dependencies: ["ControlPlaneProtocol", "DevControlPlane", "ProcessKit",
                                                   .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "Hummingbird", package: "hummingbird")],
                path: "Benchmarks/BenchSupport"),
        .executableTarget(
            name: "DockerBench",
            dependencies: ["AgentHost", "BenchSupport", "DevControlPlane", "DriverModel", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/DockerBench"),
        .executableTarget(
            name: "ReportBench",
            dependencies: ["AgentHost", "BenchSupport", "ControlPlaneProtocol", "DevControlPlane", "DriverModel",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "WSClient", package: "swift-websocket"),
                           .product(name: "NIOCore", package: "swift-nio")],
            path: "Benchmarks/ReportBench"),
        .executableTarget(
            name: "LXDBench",
            dependencies: ["AgentHost", "BenchSupport", "DevControlPlane", "DriverModel", "PlatformKit",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            path: "Benchmarks/LXDBench"),
        .executableTarget(
            name: "KubeBench",
            dependencies: ["AgentHost", "BenchSupport", "DevControlPlane", "DriverModel", "PlatformKit",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Yams", package: "Yams")],
            path: "Benchmarks/KubeBench"),
        .executableTarget(
            name: "TunnelBench",
            dependencies: ["AgentHost", "BenchSupport", "DevControlPlane", "DriverModel",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio")],
            path: "Benchmarks/TunnelBench"),

        .testTarget(
            name: "ControlPlaneProtocolTests",
            dependencies: ["ControlPlaneProtocol", "DriverModel"],
            path: "Tests/ControlPlaneProtocolTests"
        ),
        // What several test targets share: the in-process control plane + agent harness, a
        // process runner, and the Docker the Docker driver's tests use.
        // Running programs to completion, for the tests and the benchmarks alike.
        .target(name: "ProcessKit", path: "Tests/ProcessKit"),
        .target(
            name: "AgentTestSupport",
            dependencies: ["AgentHost", "DevControlPlane", "ControlPlaneProtocol", "DriverModel", "ProcessKit",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "LinkTests",
            dependencies: ["AgentHost", "AgentTestSupport", "DevControlPlane", "ControlPlaneProtocol", "DriverModel",
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/LinkTests"
        ),
        .testTarget(
            name: "LXDDriverTests",
            dependencies: ["AgentHost", "AgentTestSupport", "DevControlPlane", "ControlPlaneProtocol", "DriverModel",
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/LXDDriverTests"
        ),
        .testTarget(
            name: "DockerDriverTests",
            dependencies: ["AgentHost", "AgentTestSupport", "DevControlPlane", "ControlPlaneProtocol", "DriverModel",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "WSClient", package: "swift-websocket")],
            path: "Tests/DockerDriverTests"
        ),
        // The Kubernetes driver's pure parts (kubeconfig, manifests, pod status) against golden
        // captures of a real kube-apiserver, and its live tests against the test API server.
        .testTarget(
            name: "KubernetesDriverTests",
            dependencies: ["KubernetesDriver", "DriverModel", "DriverSDK", "PlatformKit"],
            path: "Tests/KubernetesDriverTests"
        ),
        // The Kubernetes driver through the agent's runtime against the test API server
        // (Scripts/kube-sandbox.sh), observed with the real kubectl.
        .testTarget(
            name: "KubernetesLiveTests",
            dependencies: ["AgentHost", "AgentTestSupport", "DriverModel",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Yams", package: "Yams")],
            path: "Tests/KubernetesLiveTests"
        ),
        // The drivers' response parsers against golden captures of Docker's and LXD's answers.
        .testTarget(
            name: "DriverParserTests",
            dependencies: ["DockerDriver", "LXDDriver", "DriverModel", "PlatformKit"],
            path: "Tests/DriverParserTests"
        ),
        .testTarget(
            name: "DevControlPlaneTests",
            dependencies: [
                "DevControlPlane", "ControlPlaneProtocol", "DriverModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/DevControlPlaneTests"
        ),
        .testTarget(
            name: "AgentHostTests",
            dependencies: ["AgentHost", "AgentTestSupport", "DriverModel", "DriverSDK", "PlatformKit", "WebSocketMasking",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio")],
            path: "Tests/AgentHostTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzzing (Scripts/fuzz.sh, README "Fuzzing")
// libFuzzer executables: each hands its one-input function to libFuzzer's driver (FuzzMain),
// which only a fuzz build links (see Scripts/fuzz.sh). They are declared only under STREAMSPACE_FUZZ=1,
// so the normal `swift build` neither builds nor sees them; Scripts/fuzz.sh sets it and builds
// them in their own scratch path (.build-fuzz), leaving .build's objects uninstrumented.
if Context.environment["STREAMSPACE_FUZZ"] == "1" {
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: name, dependencies: ["FuzzMain"] + dependencies, path: "Tests/Fuzz/\(name)")
    }
    package.targets += [
        .target(name: "FuzzMain", path: "Tests/Fuzz/FuzzMain"),
        fuzzTarget("FuzzFrame", ["ControlPlaneProtocol", "DriverModel"]),
        fuzzTarget("FuzzStartPayload", ["ControlPlaneProtocol", "DriverModel"]),
        fuzzTarget("FuzzSchema", ["AgentHost", "DriverModel"]),
        fuzzTarget("FuzzDockerResponses", ["DockerDriver", "DriverModel", "PlatformKit"]),
        fuzzTarget("FuzzDockerLogs", ["DockerDriver"]),
        fuzzTarget("FuzzLXDResponses", ["LXDDriver", "DriverModel", "PlatformKit"]),
        fuzzTarget("FuzzPortList", ["PlatformKit", "DriverModel"]),
    ]
}
// MARK: Fuzzing -
