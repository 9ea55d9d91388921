import Glibc

/// Keeps an API key the Control Plane issued (registration answers may carry one), in
/// `<state-dir>/api-key` with mode 0600, so a restarted agent uses it instead of the bootstrap key.
struct APIKeyStore: Sendable {
    let directory: String
    var path: String { directory + "/api-key" }

    func load() -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let key = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: " \n\r\t")
        return key.isEmpty ? nil : key
    }

    func save(_ key: String) throws {
        Self.makeDirectories(directory)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw LinkError.configuration("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let text = key + "\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        fsync(fd)
        close(fd)
        guard written == text.utf8.count, rename(temporary, path) == 0 else {
            throw LinkError.configuration("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `mkdir -p` with mode 0700: an agent of a multi-driver agent keeps its key one folder down
    /// (`<state-dir>/<agent id>`), and the state dir itself may not exist yet.
    private static func makeDirectories(_ directory: String) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            mkdir(path, 0o700)
        }
    }
}

extension String {
    public func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self)
        while let first = scalars.first, set.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.contains(last) { scalars.removeLast() }
        return String(scalars)
    }
}
