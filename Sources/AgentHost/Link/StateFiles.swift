import Glibc

/// What the agent keeps in `--state-dir` (its API key, its command journal) is written one way:
/// folders made 0700, a file replaced whole — written to a temporary file, fsync'd, renamed over
/// the old one, and the folder fsync'd so the rename itself survives a crash or a power cut.
enum StateFiles {
    /// `mkdir -p` with mode 0700 (the state dir, or an agent's folder in it, may not exist yet).
    static func makeDirectories(_ directory: String) throws(LinkError) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw failure("cannot create the folder", path) }
        }
    }

    /// Replaces the file at `path` (in `directory`) with `bytes`, mode 0600, crash-safe.
    static func replace(_ path: String, in directory: String, with bytes: [UInt8]) throws(LinkError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot write", temporary) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let error = failure("cannot write", path)
            unlink(temporary)
            throw error
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    static func failure(_ what: String, _ path: String) -> LinkError {
        .configuration("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
