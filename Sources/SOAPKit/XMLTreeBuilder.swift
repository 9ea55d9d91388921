import DriverModel

/// Builds XMLTrees from parser events: one tree per element started while `building` is off
/// and switched on (by SOAPResponseReader, at the depth of an answer's items). Keeps the
/// namespace bindings in scope, to resolve `xsi:type` values.
struct XMLTreeBuilder {
    private var open: [(tree: XMLTree, text: [UInt8])] = []
    /// Bindings declared by each open element of the whole document (not only the trees).
    private var scopes: [[(prefix: String, namespace: String)]] = []
    /// Names of the open elements above the tree being built, for paths.
    private var ancestors: [String] = []

    var isBuilding: Bool { !open.isEmpty }

    /// An element outside any tree: only its namespaces are kept, and its name for the paths of
    /// the trees below it when `inPath` (the envelope's own elements would only lengthen them).
    mutating func pass(_ name: XMLName, namespaces: [(prefix: String, namespace: String)], inPath: Bool) {
        scopes.append(namespaces)
        ancestors.append(inPath ? name.local : "")
    }

    mutating func leavePassed() {
        scopes.removeLast()
        ancestors.removeLast()
    }

    /// Starts a tree, or a child of the one being built.
    mutating func start(_ name: XMLName, attributes: [XMLReadAttribute],
                        namespaces: [(prefix: String, namespace: String)]) throws(DriverError) {
        scopes.append(namespaces)
        let parentPath = open.last?.tree.path ?? ancestors.filter { !$0.isEmpty }.joined(separator: "/")
        let path = parentPath.isEmpty ? name.local : "\(parentPath)/\(name.local)"
        var type: XMLName?
        if let value = attributes.first(where: { $0.name == .xsiType })?.value {
            type = try resolve(value, at: path)
        }
        open.append((XMLTree(name: name, attributes: attributes, type: type, path: path), []))
    }

    mutating func characters(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard !open.isEmpty else { return }
        open[open.count - 1].text.append(contentsOf: utf8)
    }

    /// Ends the innermost open element: the finished tree when it was the outermost.
    mutating func end() -> XMLTree? {
        scopes.removeLast()
        var (tree, text) = open.removeLast()
        tree.text = String(decoding: text, as: UTF8.self)
        guard !open.isEmpty else { return tree }
        open[open.count - 1].tree.children.append(tree)
        return nil
    }

    /// A qualified name written in a value (`xsd:string`, or `TraversalSpec` in the default
    /// namespace), by the bindings in scope.
    private func resolve(_ value: String, at path: String) throws(DriverError) -> XMLName {
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let (prefix, local) = parts.count == 2 ? (String(parts[0]), String(parts[1])) : ("", value)
        for scope in scopes.reversed() {
            if let binding = scope.last(where: { $0.prefix == prefix }) { return XMLName(binding.namespace, local) }
        }
        if prefix.isEmpty { return XMLName(local: local) }
        if prefix == "xml" { return XMLName(XMLNamespace.xml, local) }
        throw DriverError(.internal, "unreadable XML: \(path) has xsi:type \(value.debugDescription), whose prefix is not declared")
    }
}
