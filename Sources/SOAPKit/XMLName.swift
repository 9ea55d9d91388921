/// An element's or attribute's name as XML namespaces define it: the namespace URI and the local
/// name, never the prefix. Two documents that bind different prefixes to one namespace name the
/// same thing (vcsim writes `XMLSchema-instance:type` where vCenter writes `xsi:type`), so the
/// reader compares names by URI and the writer chooses the prefixes.
public struct XMLName: Sendable, Hashable, CustomStringConvertible {
    /// The namespace URI; "" for a name in no namespace.
    public var namespace: String
    public var local: String

    public init(_ namespace: String, _ local: String) {
        self.namespace = namespace
        self.local = local
    }

    /// A name in no namespace (most attributes: `type`, `Name`).
    public init(local: String) { self.init("", local) }

    public var description: String { namespace.isEmpty ? local : "{\(namespace)}\(local)" }
}

/// The namespaces the SOAP drivers speak.
public enum XMLNamespace {
    public static let soap11Envelope = "http://schemas.xmlsoap.org/soap/envelope/"
    public static let soap12Envelope = "http://www.w3.org/2003/05/soap-envelope"
    public static let xsi = "http://www.w3.org/2001/XMLSchema-instance"
    public static let xsd = "http://www.w3.org/2001/XMLSchema"
    /// Bound to the prefix `xml` by the XML namespaces recommendation itself (`xml:lang`).
    public static let xml = "http://www.w3.org/XML/1998/namespace"
}

extension XMLName {
    /// `xsi:type`, which names the type of a polymorphic value (`ArrayOfOptionValue`,
    /// `TraversalSpec`, `xsd:string`).
    public static let xsiType = XMLName(XMLNamespace.xsi, "type")
}

/// What may be a local name or a prefix (an XML NCName), restricted to ASCII: every name the SOAP
/// drivers write is a protocol constant, and a name is never escaped — it must be valid as it is.
enum XMLNameCheck {
    static func isNCName(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), isNameStart(first) else { return false }
        while let byte = bytes.next() {
            guard isNameStart(byte) || (0x30...0x39).contains(byte) || byte == 0x2D || byte == 0x2E else { return false }
        }
        return true
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
    }
}
