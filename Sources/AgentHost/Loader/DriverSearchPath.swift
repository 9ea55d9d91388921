import Glibc

/// Where `--driver NAME` is looked for, in order: each folder of STREAMSPACE_DRIVER_PATH
/// (colon-separated), /usr/lib/streamspace, then the folder of the running agent binary (a
/// developer build: `.build/debug/agent` sits beside `.build/debug/libmock.so`).
public struct DriverSearchPath: Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    public static func standard(environment: [String: String] = ProcessEnvironment.current) -> DriverSearchPath {
        var directories = (environment["STREAMSPACE_DRIVER_PATH"] ?? "")
            .split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        directories.append("/usr/lib/streamspace")
        if let executableDirectory = ProcessEnvironment.executableDirectory() {
            directories.append(executableDirectory)
        }
        return DriverSearchPath(directories: directories)
    }

    /// A value containing "/" is a path and used as given; anything else is a name, tried as
    /// NAME.so then libNAME.so in each directory.
    public func resolve(_ driver: String) throws(DriverLoadError) -> String {
        if driver.contains("/") {
            guard fileExists(driver) else {
                throw DriverLoadError(.notFound, "driver \(driver): no such file")
            }
            return driver
        }
        guard !driver.isEmpty, driver.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }),
              !driver.hasPrefix(".") else {
            throw DriverLoadError(.notFound, "driver name \"\(driver)\" is not valid: use a name like \"docker\" or a path to a .so file")
        }
        let candidates = driver.hasSuffix(".so") ? [driver] : ["\(driver).so", "lib\(driver).so"]
        for directory in directories {
            for candidate in candidates {
                let path = directory.hasSuffix("/") ? directory + candidate : "\(directory)/\(candidate)"
                if fileExists(path) { return path }
            }
        }
        throw DriverLoadError(.notFound, "driver \"\(driver)\" not found: looked for \(candidates.joined(separator: " and ")) in \(directories.joined(separator: ", ")) (set STREAMSPACE_DRIVER_PATH or pass a path)")
    }

    private func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }
}

/// The process's environment and location, read without Foundation.
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            cursor += 1
        }
        return result
    }

    /// The folder holding the running executable (from /proc/self/exe).
    public static func executableDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}
