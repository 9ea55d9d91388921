import Foundation

/// Which XML library SOAPKit reads with, decided by measurement: each candidate reads vcsim's
/// RetrieveProperties answer for 1,000 VMs (Tests/Fixtures/vcenter, 1.7 MB) into the same rows,
/// in a process of its own so that its peak memory is its own.
///
///     STREAMSPACE_XML_BENCH=1 swift run -c release --scratch-path .build-xmlbench XMLBench [FIXTURE]
///
/// Prints, per candidate: the median and fastest of 15 reads (after one warm-up) and the peak
/// resident memory the reads added to the process (VmHWM less VmRSS before the first read).
@main
struct XMLBench {
    static let candidates = ["soapkit", "libxml2-sax", "foundation-xmlparser", "xmlcoder", "swxmlhash", "swxmlhash-lazy"]
    static let runs = 15

    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var candidate: String?
        if let index = arguments.firstIndex(of: "--candidate"), index + 1 < arguments.count {
            candidate = arguments[index + 1]
            arguments.removeSubrange(index...(index + 1))
        }
        let fixture = arguments.first ?? URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Fixtures/vcenter/retrieve-properties-1000-vms.xml").path
        if let candidate { return try measure(candidate, fixture: fixture) }
        print("candidate              median ms   fastest ms   peak RSS added")
        fflush(nil)
        for candidate in candidates {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["--candidate", candidate, fixture]
            try child.run()
            child.waitUntilExit()
            guard child.terminationStatus == 0 else { throw BenchError("\(candidate) failed (status \(child.terminationStatus))") }
        }
    }

    static func measure(_ candidate: String, fixture: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture))
        let bytes = [UInt8](data)
        let read: () throws -> [VMRow]
        switch candidate {
        case "soapkit": read = { try SOAPKitCandidate.rows(bytes) }
        case "libxml2-sax": read = { try LibXML2SAXCandidate.rows(bytes) }
        case "foundation-xmlparser": read = { FoundationCandidate.rows(data) }
        case "xmlcoder": read = { try XMLCoderCandidate.rows(data) }
        case "swxmlhash": read = { SWXMLHashCandidate.rows(data, lazy: false) }
        case "swxmlhash-lazy": read = { SWXMLHashCandidate.rows(data, lazy: true) }
        default: throw BenchError("unknown candidate \(candidate); one of \(candidates.joined(separator: ", "))")
        }
        let before = memory("VmRSS")
        VMRow.check(try read(), candidate: candidate)
        var times: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let rows = try read()
            let elapsed = ContinuousClock.now - start
            VMRow.check(rows, candidate: candidate)
            times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
        }
        times.sort()
        let added = memory("VmHWM") - before
        print(candidate.padding(toLength: 22, withPad: " ", startingAt: 0)
              + String(format: " %9.1f    %9.1f    %8.1f MiB", times[runs / 2], times[0], Double(added) / 1024))
        fflush(nil)
    }

    /// A /proc/self/status figure, in KiB.
    static func memory(_ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
