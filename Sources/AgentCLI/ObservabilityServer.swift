import AgentHost
import Hummingbird
import Logging
import NIOCore

/// `--metrics-listen HOST:PORT`: the agent's own Prometheus metrics (`/metrics`), liveness
/// (`/healthz`: the process serves) and readiness (`/readyz`: every link is connected to its
/// Control Plane). Off by default; meant for loopback or a scrape network, it shows no secrets.
struct ObservabilityServer {
    let host: String
    let port: Int
    let links: [AgentLink]
    let drivers: [Driver]
    let logger: Logger

    /// "127.0.0.1:9464", "[::1]:9464", ":9464" (all addresses).
    static func parse(_ text: String) -> (host: String, port: Int)? {
        var host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let number = Int(port), (0...65535).contains(number) else { return nil }
        return (host.isEmpty ? "0.0.0.0" : String(host), number)
    }

    func application() -> some ApplicationProtocol {
        let router = Router()
        let links = self.links, drivers = self.drivers
        router.get("/metrics") { _, _ in
            let text = PrometheusText.render(links: links, drivers: drivers, version: AgentVersion.current)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let waiting = links.filter { $0.state != .connected }
            let text = waiting.isEmpty
                ? "ready: \(links.count) link(s) connected\n"
                : waiting.map { "not ready: \($0.configurationAgentID) is \($0.state.rawValue)" }.joined(separator: "\n") + "\n"
            return Response(status: waiting.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                           logger: logger)
    }
}
