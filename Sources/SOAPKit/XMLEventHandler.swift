import DriverModel

/// What a streaming parser reports, in document order. Names arrive resolved to their
/// namespaces; an error thrown here stops the parse, and the parser's caller gets it.
public protocol XMLEventHandler: AnyObject {
    /// `namespaces` are the declarations on this element (prefix "" for the default namespace):
    /// a handler that reads qualified-name values (`xsi:type`) keeps them in scope.
    func startElement(_ name: XMLName, attributes: [XMLReadAttribute],
                      namespaces: [(prefix: String, namespace: String)]) throws(DriverError)
    /// Character data with entities and character references already replaced, possibly in
    /// several pieces for one run of text.
    func characters(_ utf8: UnsafeBufferPointer<UInt8>) throws(DriverError)
    func endElement() throws(DriverError)
}

/// An attribute as read: its value is the text after entity replacement, never a reference.
public struct XMLReadAttribute: Sendable, Equatable {
    public var name: XMLName
    public var value: String

    public init(_ name: XMLName, _ value: String) {
        self.name = name
        self.value = value
    }
}
