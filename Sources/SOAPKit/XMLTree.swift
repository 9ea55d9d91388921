import DriverModel

/// A read element with everything below it: what the SOAP reader hands over for each item of an
/// answer (a `returnval`, a fault), one at a time. Lookups are by local name within the
/// element's own namespace, as SOAP bodies are written; the throwing ones name the path of what
/// is missing, so an answer that does not fit is a sentence, not a nil.
public struct XMLTree: Sendable, Equatable {
    public var name: XMLName
    public var attributes: [XMLReadAttribute]
    public var children: [XMLTree]
    /// The element's own character data (not its children's).
    public var text: String
    /// `xsi:type`, resolved against the namespaces in scope where it stood.
    public var type: XMLName?
    /// Where the element stood, for error texts: `RetrievePropertiesResponse/returnval`.
    public var path: String

    public init(name: XMLName, attributes: [XMLReadAttribute] = [], children: [XMLTree] = [],
                text: String = "", type: XMLName? = nil, path: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
        self.type = type
        self.path = path
    }

    /// The first child with this local name, in this element's namespace unless `namespace` says.
    public func child(_ local: String, namespace: String? = nil) -> XMLTree? {
        let namespace = namespace ?? name.namespace
        return children.first { $0.name.local == local && $0.name.namespace == namespace }
    }

    public func children(_ local: String, namespace: String? = nil) -> [XMLTree] {
        let namespace = namespace ?? name.namespace
        return children.filter { $0.name.local == local && $0.name.namespace == namespace }
    }

    public func required(_ local: String, namespace: String? = nil) throws(DriverError) -> XMLTree {
        guard let child = child(local, namespace: namespace) else {
            throw DriverError(.internal, "unexpected answer: \(path) has no \(local)")
        }
        return child
    }

    /// An attribute in no namespace (`type`, `Name`), or in `namespace`.
    public func attribute(_ local: String, namespace: String = "") -> String? {
        attributes.first { $0.name.local == local && $0.name.namespace == namespace }?.value
    }

    /// The text of a required child.
    public func text(of local: String, namespace: String? = nil) throws(DriverError) -> String {
        try required(local, namespace: namespace).text
    }

    /// A required child's text read as a number, a boolean or a value of a closed set: `read`
    /// returns nil for text it does not accept, and the error names the path and the text.
    public func value<T>(of local: String, as what: String, _ read: (String) -> T?) throws(DriverError) -> T {
        let child = try required(local)
        guard let value = read(child.text) else {
            throw DriverError(.internal, "unexpected answer: \(child.path) is \(child.text.debugDescription), not \(what)")
        }
        return value
    }
}
