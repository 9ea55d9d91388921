import DriverModel

/// Serialises elements to UTF-8 bytes. It chooses where namespaces are declared: the root's
/// preferred prefixes first, then a default namespace for an element whose namespace has none
/// bound, and a generated prefix (`ns1`…) only where a prefix is required (a namespaced
/// attribute, a qualified-name value outside the default namespace).
public struct XMLWriter {
    /// Prefixes to declare on the root element, in this order (`soapenv`, `xsi`, `xsd`…).
    public var preferredPrefixes: [(prefix: String, namespace: String)]

    public init(preferredPrefixes: [(prefix: String, namespace: String)] = []) {
        self.preferredPrefixes = preferredPrefixes
    }

    /// The document: an XML declaration and `root`.
    public func document(_ root: XMLElement) throws(DriverError) -> [UInt8] {
        var out = Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
        var scope = Scope()
        var declarations: [(String?, String)] = []
        for (prefix, namespace) in preferredPrefixes {
            guard XMLNameCheck.isNCName(prefix), !prefix.lowercased().hasPrefix("xml") else {
                throw DriverError(.internal, "XML writer: \(prefix) is not a usable namespace prefix")
            }
            scope.bind(prefix, namespace)
            declarations.append((prefix, namespace))
        }
        try write(root, scope: scope, declared: declarations, to: &out)
        return out
    }

    /// The namespace bindings in force at an element.
    struct Scope {
        var defaultNamespace = ""
        var prefixes: [String: String] = ["xml": XMLNamespace.xml]  // prefix → namespace
        var generated = 0

        func prefix(for namespace: String) -> String? {
            if namespace == XMLNamespace.xml { return "xml" }
            return prefixes.first { $0.value == namespace }?.key
        }

        mutating func bind(_ prefix: String, _ namespace: String) { prefixes[prefix] = namespace }

        mutating func newPrefix(for namespace: String) -> String {
            repeat { generated += 1 } while prefixes["ns\(generated)"] != nil
            prefixes["ns\(generated)"] = namespace
            return "ns\(generated)"
        }
    }

    private func write(_ element: XMLElement, scope parent: Scope, declared: [(String?, String)],
                       to out: inout [UInt8]) throws(DriverError) {
        var scope = parent
        var declarations = declared  // (nil: the default namespace, prefix), namespace
        let elementName = try qualified(element.name, as: .element, scope: &scope, declarations: &declarations)
        var attributes: [(String, XMLAttribute)] = []
        for attribute in element.attributes {
            attributes.append((try qualified(attribute.name, as: .attribute, scope: &scope, declarations: &declarations), attribute))
        }
        var values: [String] = []
        for (_, attribute) in attributes {
            switch attribute.value {
            case .text(let text): values.append(text)
            case .qualifiedName(let name): values.append(try qualified(name, as: .value, scope: &scope, declarations: &declarations))
            }
        }

        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: elementName.utf8)
        for (prefix, namespace) in declarations {
            out.append(contentsOf: (prefix.map { " xmlns:\($0)=\"" } ?? " xmlns=\"").utf8)
            try XMLEscaping.append(namespace, attribute: true, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        for ((name, _), value) in zip(attributes, values) {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "=\"".utf8)
            try XMLEscaping.append(value, attribute: true, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if element.content.isEmpty {
            out.append(contentsOf: "/>".utf8)
            return
        }
        out.append(UInt8(ascii: ">"))
        for part in element.content {
            switch part {
            case .text(let text): try XMLEscaping.append(text, attribute: false, to: &out)
            case .element(let child): try write(child, scope: scope, declared: [], to: &out)
            }
        }
        out.append(contentsOf: "</".utf8)
        out.append(contentsOf: elementName.utf8)
        out.append(UInt8(ascii: ">"))
    }

    /// Where a name stands: what an unprefixed name means differs (the default namespace applies
    /// to elements and qualified-name values, never to attributes).
    enum Role { case element, attribute, value }

    /// The name as written (`prefix:local` or `local`), declaring a namespace on the element
    /// when none in scope serves.
    private func qualified(_ name: XMLName, as role: Role, scope: inout Scope,
                           declarations: inout [(String?, String)]) throws(DriverError) -> String {
        guard XMLNameCheck.isNCName(name.local) else {
            throw DriverError(.internal, "XML writer: \(name.local.debugDescription) is not an XML name")
        }
        if name.namespace.isEmpty {
            switch role {
            case .attribute: return name.local
            case .value:
                guard scope.defaultNamespace.isEmpty else {
                    throw DriverError(.internal, "XML writer: the value \(name.local) has no namespace where \(scope.defaultNamespace) is the default")
                }
                return name.local
            case .element:
                guard !scope.defaultNamespace.isEmpty else { return name.local }
                // An element in no namespace inside a default namespace undeclares it.
                scope.defaultNamespace = ""
                declarations.append((nil, ""))
                return name.local
            }
        }
        if role != .attribute && scope.defaultNamespace == name.namespace { return name.local }
        if let prefix = scope.prefix(for: name.namespace) { return "\(prefix):\(name.local)" }
        if role == .element {
            scope.defaultNamespace = name.namespace
            declarations.append((nil, name.namespace))
            return name.local
        }
        let prefix = scope.newPrefix(for: name.namespace)
        declarations.append((prefix, name.namespace))
        return "\(prefix):\(name.local)"
    }
}
