#if canImport(Glibc)
import Glibc
#endif

/// Small local files the driver reads (kubeconfig, certificates, service-account token), with
/// the system's reason when one cannot be read — an operator must learn which file and why.
package enum LocalFile {
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "cannot read \(path): \(reason)" }
    }

    /// No kubeconfig or certificate comes near this; a larger file is a wrong path.
    static let maxSize = 16 << 20

    package static func read(_ path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            if bytes.count > maxSize { throw Failure(path: path, reason: "larger than \(maxSize >> 20) MiB") }
        }
    }

    package static func text(_ path: String) throws(Failure) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Identity of the file's current content for change detection: (mtime, size, inode).
    package static func stamp(_ path: String) -> [Int64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)]
    }

    package static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// kubectl resolves a kubeconfig's relative paths against the kubeconfig's own folder.
    package static func resolve(_ path: String, against file: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        guard let slash = file.lastIndex(of: "/") else { return path }
        return String(file[...slash]) + path
    }
}
