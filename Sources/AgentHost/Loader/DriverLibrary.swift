import DriverABI
import DriverModel
import Glibc

/// A driver shared object, loaded and negotiated. Loaded once per path and never unloaded:
/// Swift and Go code cannot be unloaded safely, and no driver expects it (header, R8).
public final class DriverLibrary: @unchecked Sendable {
    // @unchecked: `api` points to the driver's static, immutable table (header: it lives as long
    // as the process); everything else is immutable.

    /// The oldest and newest ABI versions this host works with.
    public static let hostMinVersion: UInt32 = SSD_ABI_VERSION_1_0
    public static let hostMaxVersion: UInt32 = SSD_ABI_VERSION

    public let path: String
    /// The version the driver's table says it implements.
    public let abiVersion: UInt32
    let api: UnsafePointer<ssd_driver_api>
    private let entry: ssd_entry_v1_fn

    private init(path: String, api: UnsafePointer<ssd_driver_api>, entry: ssd_entry_v1_fn) {
        self.path = path
        self.api = api
        self.entry = entry
        self.abiVersion = api.pointee.abi_version
    }

    /// Calls the entry point again with another host range (the conformance kit checks that a
    /// driver refuses hosts it cannot serve). Returns the status and whether a table came back.
    public func negotiate(hostMin: UInt32, hostMax: UInt32) -> (status: DriverStatusCode, gaveTable: Bool) {
        var negotiation = ssd_negotiation(struct_size: UInt32(MemoryLayout<ssd_negotiation>.size),
                                          host_min_version: hostMin, host_max_version: hostMax)
        var table: UnsafePointer<ssd_driver_api>?
        let status = entry(&negotiation, &table)
        return (DriverStatusCode(abiValue: status), table != nil)
    }

    /// Members every driver must provide, with their names for error messages.
    static let mandatoryMembers: [(name: String, isPresent: @Sendable (ssd_driver_api) -> Bool)] = [
        ("create", { $0.create != nil }), ("destroy", { $0.destroy != nil }),
        ("describe", { $0.describe != nil }), ("capabilities", { $0.capabilities != nil }),
        ("health", { $0.health != nil }), ("start_session", { $0.start_session != nil }),
        ("stop_session", { $0.stop_session != nil }), ("get_session", { $0.get_session != nil }),
        ("list_sessions", { $0.list_sessions != nil }),
    ]

    /// The size of the ABI 1.0 table: the end of its last member. No driver table may be smaller.
    static let minimumTableSize = MemoryLayout<ssd_driver_api>.offset(of: \ssd_driver_api.cancel_logs)!
        + MemoryLayout<UnsafeRawPointer>.size

    private static let loaded = LockedDictionary<String, DriverLibrary>()

    /// Loads, negotiates and checks a driver file. Every failure is one line naming the file and
    /// the symbol, member or versions at fault.
    public static func load(path: String) throws(DriverLoadError) -> DriverLibrary {
        let path = realPath(path) ?? path
        if let library = loaded[path] { return library }
        try checkFileIsSafe(path)

        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw DriverLoadError(.notLoadable, "driver \(path): cannot load it as a shared object: \(reason)")
        }
        // Deliberately no dlclose, ever (see the type's comment).
        guard let symbol = dlsym(handle, SSD_ENTRY_SYMBOL_V1) else {
            throw DriverLoadError(.missingEntry, "driver \(path): no entry symbol \(SSD_ENTRY_SYMBOL_V1) — not a StreamSpace driver, or built for another ABI major")
        }
        let entry = unsafeBitCast(symbol, to: ssd_entry_v1_fn.self)

        var negotiation = ssd_negotiation(
            struct_size: UInt32(MemoryLayout<ssd_negotiation>.size),
            host_min_version: hostMinVersion, host_max_version: hostMaxVersion)
        var table: UnsafePointer<ssd_driver_api>?
        let status = entry(&negotiation, &table)
        let hostRange = "\(versionString(hostMinVersion))–\(versionString(hostMaxVersion))"
        guard status == SSD_OK else {
            throw DriverLoadError(.incompatible, "driver \(path): \(SSD_ENTRY_SYMBOL_V1) refused this host (status \(DriverStatusName.of(status))); the agent offers ABI \(hostRange)")
        }
        guard let table else {
            throw DriverLoadError(.incompatible, "driver \(path): \(SSD_ENTRY_SYMBOL_V1) returned OK but no function table")
        }
        let version = table.pointee.abi_version
        guard version >> 16 == hostMaxVersion >> 16, version >= hostMinVersion else {
            throw DriverLoadError(.incompatible, "driver \(path): implements ABI \(versionString(version)), the agent accepts ABI \(hostRange)")
        }
        guard Int(table.pointee.struct_size) >= minimumTableSize else {
            throw DriverLoadError(.incompatible, "driver \(path): its ssd_driver_api is \(table.pointee.struct_size) bytes, ABI 1.0 needs at least \(minimumTableSize)")
        }
        for member in mandatoryMembers where !member.isPresent(table.pointee) {
            throw DriverLoadError(.missingOperation, "driver \(path): missing mandatory operation \(member.name) (ssd_driver_api.\(member.name) is NULL)")
        }
        let library = DriverLibrary(path: path, api: table, entry: entry)
        loaded[path] = library
        return library
    }

    /// Refuses what sshd refuses for key files: anything but a regular file, files writable by
    /// group or others, and files owned by someone other than root or the agent's user.
    static func checkFileIsSafe(_ path: String) throws(DriverLoadError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DriverLoadError(.notFound, "driver \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw DriverLoadError(.notLoadable, "driver \(path): not a regular file")
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw DriverLoadError(.unsafePermissions, "driver \(path): refusing a file writable by group or others (mode \(mode)); run: chmod go-w \(path)")
        }
        if info.st_uid != 0 && info.st_uid != getuid() {
            throw DriverLoadError(.unsafePermissions, "driver \(path): refusing a file owned by uid \(info.st_uid) (expected root or uid \(getuid()))")
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

func versionString(_ version: UInt32) -> String { "\(version >> 16).\(version & 0xFFFF)" }

/// Names of raw status codes, including ones this host does not know.
enum DriverStatusName {
    static func of(_ status: ssd_status) -> String {
        DriverStatusCode(rawValue: status)?.name ?? "unknown code \(status)"
    }
}
