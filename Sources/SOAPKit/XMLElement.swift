/// An element to write. It holds names and values, never markup: the writer (XMLWriter) adds
/// the markup and escapes every value, so no value can change the document's structure.
public struct XMLElement: Sendable, Equatable {
    public var name: XMLName
    public var attributes: [XMLAttribute]
    public var content: [XMLContent]

    public init(_ name: XMLName, attributes: [XMLAttribute] = [], content: [XMLContent] = []) {
        self.name = name
        self.attributes = attributes
        self.content = content
    }
}

public enum XMLContent: Sendable, Equatable {
    case element(XMLElement)
    case text(String)
}

public struct XMLAttribute: Sendable, Equatable {
    public var name: XMLName
    public var value: Value

    public enum Value: Sendable, Equatable {
        case text(String)
        /// A value that is itself a qualified name (`xsi:type="xsd:string"`): the writer writes
        /// the prefix that is bound to its namespace where the attribute stands.
        case qualifiedName(XMLName)
    }

    public init(_ name: XMLName, _ value: String) { self.init(name, .text(value)) }
    public init(_ name: XMLName, _ value: Value) {
        self.name = name
        self.value = value
    }

    /// `xsi:type`, naming a polymorphic value's type.
    public static func xsiType(_ type: XMLName) -> XMLAttribute { XMLAttribute(.xsiType, .qualifiedName(type)) }
}

/// Builds an element's content from elements, arrays of them and strings (text).
@resultBuilder
public enum XMLContentBuilder {
    public static func buildExpression(_ element: XMLElement) -> [XMLContent] { [.element(element)] }
    public static func buildExpression(_ elements: [XMLElement]) -> [XMLContent] { elements.map { .element($0) } }
    public static func buildExpression(_ text: String) -> [XMLContent] { [.text(text)] }
    public static func buildBlock(_ parts: [XMLContent]...) -> [XMLContent] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [XMLContent]?) -> [XMLContent] { part ?? [] }
    public static func buildEither(first part: [XMLContent]) -> [XMLContent] { part }
    public static func buildEither(second part: [XMLContent]) -> [XMLContent] { part }
    public static func buildArray(_ parts: [[XMLContent]]) -> [XMLContent] { parts.flatMap { $0 } }
}

/// Elements of one namespace, made by calling it: `vim("_this", ["type": "ServiceInstance"],
/// text: moref)` or `vim("specSet") { … }`. Attributes given by local name are in no namespace,
/// as unprefixed attributes are.
public struct XMLVocabulary: Sendable {
    public let namespace: String

    public init(_ namespace: String) { self.namespace = namespace }

    public func name(_ local: String) -> XMLName { XMLName(namespace, local) }

    public func callAsFunction(_ local: String, _ attributes: KeyValuePairs<String, String> = [:],
                               extra: [XMLAttribute] = [], text: String) -> XMLElement {
        XMLElement(name(local), attributes: Self.attributes(attributes) + extra, content: [.text(text)])
    }

    public func callAsFunction(_ local: String, _ attributes: KeyValuePairs<String, String> = [:],
                               extra: [XMLAttribute] = [],
                               @XMLContentBuilder _ content: () -> [XMLContent] = { [] }) -> XMLElement {
        XMLElement(name(local), attributes: Self.attributes(attributes) + extra, content: content())
    }

    private static func attributes(_ pairs: KeyValuePairs<String, String>) -> [XMLAttribute] {
        pairs.map { XMLAttribute(XMLName(local: $0.key), $0.value) }
    }
}
