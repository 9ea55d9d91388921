@testable import AgentHost
import DriverModel
import Testing

/// The tunnel's allow-list: only an address the driver reported for a port of a running
/// session, never a link-local or metadata address — whatever the Control Plane names.
@Suite struct SessionDialTargetTests {
    static func running(_ endpoints: [Endpoint]) -> SessionStatus {
        SessionStatus(sessionId: "alice-web-1a2b3c4d", state: .running, endpoints: endpoints)
    }

    static func resolve(_ status: SessionStatus?, port: Int?) -> Result<SessionDialTarget, SessionDialTarget.Refusal> {
        SessionDialTarget.resolve(status, sessionID: "alice-web-1a2b3c4d", port: port)
    }

    @Test func thePortOfARunningSessionIsDialledAtTheAddressTheDriverGave() throws {
        let status = Self.running([Endpoint(name: "http", port: 8080, url: "http://203.0.113.7:49153", dial: "127.0.0.1:49153"),
                                   Endpoint(name: "vnc", port: 3000, url: "http://[::1]:49154/")])
        #expect(try Self.resolve(status, port: 8080).get() == SessionDialTarget(host: "127.0.0.1", port: 49153))
        #expect(try Self.resolve(status, port: 3000).get() == SessionDialTarget(host: "::1", port: 49154))
        // The viewer: the endpoint named vnc.
        #expect(try Self.resolve(status, port: nil).get().port == 49154)
    }

    @Test(arguments: [
        (nil as SessionStatus?, 8080, "is not one of this agent's sessions"),
        (SessionStatus(sessionId: "alice-web-1a2b3c4d", state: .hibernated), 8080, "is hibernated, not running"),
        (running([Endpoint(name: "http", port: 8080, url: "http://127.0.0.1:49153")]), 22, "publishes no port 22 (it publishes 8080)"),
        (running([Endpoint(name: "http", port: 8080)]), 8080, "is not reachable yet"),
        (running([Endpoint(name: "http", port: 8080, url: "http://169.254.169.254:80")]), 8080, "link-local"),
        (running([Endpoint(name: "http", port: 8080, url: "http://127.0.0.1:1", dial: "[fe80::1]:80")]), 8080, "link-local"),
        (running([Endpoint(name: "http", port: 8080, url: "http://[fd00:ec2::254]:80")]), 8080, "metadata"),
        (running([Endpoint(name: "http", port: 8080, url: "http://[::ffff:169.254.169.254]:80")]), 8080, "link-local"),
        (running([Endpoint(name: "http", port: 8080, url: "http://metadata.google.internal/")]), 8080, "metadata"),
        (running([Endpoint(name: "http", port: 8080, url: "http://user:pw@127.0.0.1:80/")]), 8080, "is not reachable yet"),
    ])
    func anythingElseIsRefusedSayingWhy(_ status: SessionStatus?, _ port: Int, _ why: String) {
        guard case .failure(let refusal) = Self.resolve(status, port: port) else {
            Issue.record("port \(port) of \(String(describing: status)) was allowed")
            return
        }
        #expect(refusal.description.contains(why), "\(refusal)")
    }

    @Test func urlsWithoutAPortUseTheirSchemes() {
        #expect(SessionDialTarget.parse(url: "https://desk.example.com/x") == SessionDialTarget(host: "desk.example.com", port: 443))
        #expect(SessionDialTarget.parse(url: "http://10.42.0.17:3000") == SessionDialTarget(host: "10.42.0.17", port: 3000))
        #expect(SessionDialTarget.parse(url: "http://[2001:db8::5]") == SessionDialTarget(host: "2001:db8::5", port: 80))
        #expect(SessionDialTarget.parse(url: "ftp://x") == nil)
        #expect(SessionDialTarget.parse(authority: "::1:80") == nil, "an IPv6 address must be bracketed")
        #expect(SessionDialTarget.parse(authority: "host:65536") == nil)
        #expect(SessionDialTarget.parse(authority: "ho st:80") == nil)
    }
}
