import NIOCore

/// The viewer's own answers (redirects, errors): small complete HTTP/1.1 responses that close
/// the connection.
enum ViewerPage {
    static func redirect(to location: String) -> ByteBuffer {
        response(301, "Moved Permanently", extraHeaders: ["Location: \(location)"], body: "")
    }

    /// An error page naming the session and what is wrong, for a person in a browser.
    static func error(_ status: Int, _ reason: String, detail: String) -> ByteBuffer {
        let body = """
            <!doctype html><html><head><meta charset="utf-8"><title>\(status) \(reason)</title></head>
            <body><h1>\(status) \(reason)</h1><p>\(escaped(detail))</p>
            <p>StreamSpace dev control plane: sessions are served at /sessions/&lt;id&gt;/ while they run.</p></body></html>

            """
        return response(status, reason, extraHeaders: ["Content-Type: text/html; charset=utf-8"], body: body)
    }

    private static func response(_ status: Int, _ reason: String, extraHeaders: [String], body: String) -> ByteBuffer {
        let headers = ["Content-Length: \(body.utf8.count)", "Connection: close", "Cache-Control: no-store"] + extraHeaders
        return ByteBuffer(string: "HTTP/1.1 \(status) \(reason)\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n" + body)
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
