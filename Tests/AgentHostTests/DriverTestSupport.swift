import AgentHost
import DriverModel
import Testing

extension TestSupport {
    static func library(_ name: String) throws -> DriverLibrary {
        try DriverLibrary.load(path: product(name))
    }

    static func driver(_ name: String, config: String = "{}") async throws -> Driver {
        try await Driver.create(library(name), configuration: Array(config.utf8))
    }

    static func uniqueSessionID(_ prefix: String = "test") -> String {
        "\(prefix)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    static func spec(_ id: String, ports: [SessionSpec.Port] = [.init(name: "http", port: 8080)],
                     labels: [String: String] = [:]) -> SessionSpec {
        SessionSpec(id: id, user: "tester", template: .init(name: "busybox", image: "busybox:latest", ports: ports),
                    labels: labels)
    }
}
