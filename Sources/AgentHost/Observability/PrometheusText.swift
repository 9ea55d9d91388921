/// The agent's own metrics in Prometheus' text format (version 0.0.4), read from the links and
/// drivers at scrape time: nothing is computed between scrapes.
public enum PrometheusText {
    public static func render(links: [AgentLink], drivers: [Driver], version: String) -> String {
        var out: [String] = []
        func family(_ name: String, _ type: String, _ help: String) {
            out.append("# HELP \(name) \(help)")
            out.append("# TYPE \(name) \(type)")
        }

        family("streamspace_agent_info", "gauge", "The agent's version.")
        out.append("streamspace_agent_info{version=\(quote(version))} 1")

        family("streamspace_agent_link_connected", "gauge", "1 while the link to the Control Plane is connected.")
        for link in links {
            out.append("streamspace_agent_link_connected{agent=\(quote(link.configurationAgentID))} \(link.state == .connected ? 1 : 0)")
        }
        family("streamspace_agent_link_state", "gauge", "The link's state (1 for the current one).")
        for link in links {
            for state in AgentLink.State.allCases {
                out.append("streamspace_agent_link_state{agent=\(quote(link.configurationAgentID)),state=\(quote(state.rawValue))} \(link.state == state ? 1 : 0)")
            }
        }
        family("streamspace_agent_connections_total", "counter", "WebSocket connections made to the Control Plane (reconnects included).")
        for link in links {
            out.append("streamspace_agent_connections_total{agent=\(quote(link.configurationAgentID))} \(link.statistics.snapshot.connections)")
        }

        family("streamspace_agent_command_duration_seconds", "histogram", "Commands from the Control Plane by action and outcome, and how long they took.")
        for link in links {
            let commands = link.statistics.snapshot.commands
            for key in commands.keys.sorted(by: { ($0.action, $0.outcome) < ($1.action, $1.outcome) }) {
                out += commands[key]!.lines("streamspace_agent_command_duration_seconds",
                                            labels: "agent=\(quote(link.configurationAgentID)),action=\(quote(key.action)),outcome=\(quote(key.outcome))")
            }
        }

        family("streamspace_agent_driver_call_duration_seconds", "histogram", "Calls into the driver by operation, and how long they took.")
        for driver in drivers {
            let latencies = driver.latencies
            for operation in latencies.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
                out += latencies[operation]!.lines("streamspace_agent_driver_call_duration_seconds",
                                                   labels: "driver=\(quote(driver.description.name)),operation=\(quote(operation.rawValue))")
            }
        }

        family("streamspace_agent_log_streams", "gauge", "Log streams being forwarded to the Control Plane.")
        for link in links {
            out.append("streamspace_agent_log_streams{agent=\(quote(link.configurationAgentID))} \(link.activeLogStreams)")
        }
        family("streamspace_agent_sessions", "gauge", "Sessions the agent knows of, by state.")
        for link in links {
            let byState = link.sessionsByState
            for state in ["starting", "running", "hibernated", "failed"] {
                out.append("streamspace_agent_sessions{agent=\(quote(link.configurationAgentID)),state=\(quote(state))} \(byState[state] ?? 0)")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A label value: quoted, with backslash, quote and newline escaped.
    static func quote(_ value: String) -> String {
        var out = "\""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }
}
