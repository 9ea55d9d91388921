/// The checks every SessionSpec passes before a driver acts on it (rule R7). The host runs them
/// before calling a driver, and the Swift SDK runs them again before calling a Swift driver's
/// `start`, so a driver written in Swift receives only specs that pass. Drivers may be stricter.
extension SessionSpec {
    /// Throws `.invalidArgument` naming the first problem.
    public func validate() throws(DriverError) {
        if let problem = firstProblem() { throw DriverError(.invalidArgument, problem) }
    }

    public func firstProblem() -> String? {
        if let problem = SessionID.problem(id) { return problem }
        if user.isEmpty { return "user is empty" }
        if let problem = Self.unsafeText(user, "user", maxLength: 253) { return problem }
        if template.image.isEmpty { return "template.image is empty" }
        if template.image.contains(where: { $0.isWhitespace }) || Self.hasControlCharacters(template.image) {
            return "template.image \(SessionID.quoted(template.image)) contains white space or control characters"
        }
        if let name = template.name, let problem = Self.unsafeText(name, "template.name", maxLength: 253) { return problem }
        var portNames = Set<String>()
        for (index, port) in template.ports.enumerated() {
            let at = "template.ports[\(index)]"
            if !(1...65535).contains(port.port) { return "\(at).port \(port.port) is not 1–65535" }
            if port.name.isEmpty || port.name.count > 63
                || !port.name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) {
                return "\(at).name \(SessionID.quoted(port.name)) must be 1–63 characters of a-z, 0-9 and '-'"
            }
            if !portNames.insert(port.name).inserted { return "\(at).name \(SessionID.quoted(port.name)) is used twice" }
            if let proto = port.protocol, proto != "tcp", proto != "udp" {
                return "\(at).protocol must be tcp or udp, not \(SessionID.quoted(proto))"
            }
        }
        for (index, mount) in template.volumeMounts.enumerated() {
            let at = "template.volumeMounts[\(index)]"
            if let problem = Self.unsafeText(mount.name, "\(at).name", maxLength: 63) { return problem }
            if !mount.mountPath.hasPrefix("/") || mount.mountPath.split(separator: "/").contains("..")
                || Self.hasControlCharacters(mount.mountPath) {
                return "\(at).mountPath \(SessionID.quoted(mount.mountPath)) must be an absolute path without '..'"
            }
        }
        for (key, value) in template.env {
            guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic),
                  key.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }) else {
                return "template.env name \(SessionID.quoted(key)) must be letters, digits and '_', not starting with a digit"
            }
            if Self.hasControlCharacters(value, allowingTab: true) {
                return "template.env \(key) contains control characters (a newline, NUL, ESC…): refused before any driver sees it"
            }
        }
        if resources.cpuMillicores <= 0 { return "resources.cpuMillicores must be > 0" }
        if resources.memoryBytes <= 0 { return "resources.memoryBytes must be > 0" }
        for (key, value) in labels {
            if key.isEmpty { return "a label name is empty" }
            if let problem = Self.unsafeText(key, "label name", maxLength: 253) { return problem }
            if let problem = Self.unsafeText(value, "label \(key)", maxLength: 1024, allowEmpty: true) { return problem }
        }
        return nil
    }

    /// C0 controls (tab only where allowed), DEL, C1 controls and the Unicode line and paragraph
    /// separators: a newline or an ESC in a name or a value could start a new log line, header
    /// or command wherever a platform puts it.
    public static func hasControlCharacters(_ text: String, allowingTab: Bool = false) -> Bool {
        text.unicodeScalars.contains { scalar in
            switch scalar.value {
            case 0x09: !allowingTab
            case 0x00..<0x20, 0x7F...0x9F, 0x2028, 0x2029: true
            default: false
            }
        }
    }

    private static func unsafeText(_ text: String, _ what: String, maxLength: Int, allowEmpty: Bool = false) -> String? {
        if !allowEmpty && text.isEmpty { return "\(what) is empty" }
        if text.utf8.count > maxLength { return "\(what) is longer than \(maxLength) bytes" }
        if hasControlCharacters(text) { return "\(what) contains control characters" }
        return nil
    }
}
