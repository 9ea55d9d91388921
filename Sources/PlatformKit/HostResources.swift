#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// The figures of the machine the agent runs on, read from /proc and statfs: what local
/// platforms (Docker and LXD on this host) report as their node. No processes are spawned.
public final class HostResources: Sendable {
    public struct CPUSample: Sendable, Equatable {
        public var busy: UInt64
        public var total: UInt64
    }

    private let lastCPU = Mutex<CPUSample?>(nil)

    public init() {}

    public var cpuCores: Double { Double(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Cores in use, averaged since the previous call; the first call measures over `firstWindow`.
    public func cpuUsedCores(firstWindow: Duration = .milliseconds(200)) async -> Double {
        var previous = lastCPU.withLock { $0 }
        if previous == nil {
            previous = Self.readCPU()
            try? await Task.sleep(for: firstWindow)
        }
        guard let before = previous, let now = Self.readCPU() else { return 0 }
        lastCPU.withLock { $0 = now }
        guard now.total > before.total, now.busy >= before.busy else { return 0 }
        return cpuCores * Double(now.busy - before.busy) / Double(now.total - before.total)
    }

    /// The first line of /proc/stat: user nice system idle iowait irq softirq steal.
    static func readCPU() -> CPUSample? {
        guard let text = readFile("/proc/stat"), let line = text.split(separator: "\n").first,
              line.hasPrefix("cpu ") else { return nil }
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count >= 4 else { return nil }
        let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
        let total = fields.reduce(0, +)
        return CPUSample(busy: total - idle, total: total)
    }

    /// (total, used) bytes: used is MemTotal − MemAvailable, as `free` counts it.
    public static func memory() -> (total: Int64, used: Int64) {
        guard let text = readFile("/proc/meminfo") else { return (0, 0) }
        var total: Int64 = 0, available: Int64 = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kib = Int64(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = kib * 1024 }
            if parts[0] == "MemAvailable:" { available = kib * 1024 }
        }
        return (total, max(0, total - available))
    }

    /// (total, used) bytes of the filesystem holding `path`; nil when it cannot be read.
    public static func disk(at path: String) -> (total: Int64, used: Int64)? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let fragment = Int64(info.f_frsize)
        let total = Int64(info.f_blocks) * fragment
        let free = Int64(info.f_bfree) * fragment
        return (total, max(0, total - free))
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
