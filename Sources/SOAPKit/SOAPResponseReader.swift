import DriverModel

/// Reads a SOAP answer as it arrives: each item of the response (each child of the body's
/// response element: a vim25 `returnval`, a WS-Management stream) goes to `onItem` as soon as it
/// ends, so an answer for a thousand VMs is never held whole. A fault, and the header blocks,
/// are small: they are kept and returned by `finish()`.
///
///     let reader = SOAPResponseReader(.soap11, what: "vCenter's RetrieveProperties answer") { item in … }
///     for try await chunk in body { try reader.feed(chunk) }
///     switch try reader.finish() { case .response: …; case .fault(let fault): throw fault.error(…) }
public final class SOAPResponseReader: XMLEventHandler {
    public enum Outcome: Sendable, Equatable {
        /// The body's element (`RetrievePropertiesResponse`; nil for an empty body) and the
        /// header blocks.
        case response(XMLName?, header: [XMLTree])
        case fault(SOAPFault)
    }

    private let version: SOAPVersion
    private let what: String
    private let onItem: (XMLTree) throws(DriverError) -> Void
    private var parser: XMLPushParser?
    private var builder = XMLTreeBuilder()
    /// How deep the reader is in the envelope's own elements (1: Envelope, 2: Header or Body,
    /// 3: the response element); the trees below count their own depth.
    private var depth = 0
    private var inHeader = false
    private var sawEnvelope = false
    private var responseName: XMLName?
    private var header: [XMLTree] = []
    private var fault: XMLTree?

    /// `what` names the answer in error texts ("vCenter's Login answer").
    public init(_ version: SOAPVersion, what: String, onItem: @escaping (XMLTree) throws(DriverError) -> Void = { _ in }) {
        self.version = version
        self.what = what
        self.onItem = onItem
    }

    public func feed(_ bytes: [UInt8]) throws(DriverError) {
        do { try xmlParser().feed(bytes) } catch { throw framed(error) }
    }

    public func feed(_ bytes: UnsafeRawBufferPointer) throws(DriverError) {
        do { try xmlParser().feed(bytes) } catch { throw framed(error) }
    }

    public func finish() throws(DriverError) -> Outcome {
        do { try xmlParser().finish() } catch { throw framed(error) }
        guard sawEnvelope else { throw DriverError(.internal, "\(what): not a SOAP envelope") }
        if let fault { return .fault(try SOAPFault(fault, version: version)) }
        return .response(responseName, header: header)
    }

    /// A whole answer at once: its items and its outcome.
    public static func read(_ bytes: [UInt8], _ version: SOAPVersion, what: String) throws(DriverError) -> (items: [XMLTree], outcome: Outcome) {
        var items: [XMLTree] = []
        let reader = SOAPResponseReader(version, what: what) { item throws(DriverError) in items.append(item) }
        try reader.feed(bytes)
        let outcome = try reader.finish()
        return (items, outcome)
    }

    private func xmlParser() -> XMLPushParser {
        if let parser { return parser }
        let parser = XMLPushParser(handler: self)
        self.parser = parser
        return parser
    }

    private func framed(_ error: DriverError) -> DriverError {
        error.message.hasPrefix(what) ? error : DriverError(error.code, "\(what): \(error.message)", detail: error.detail)
    }

    // MARK: XMLEventHandler

    public func startElement(_ name: XMLName, attributes: [XMLReadAttribute],
                             namespaces: [(prefix: String, namespace: String)]) throws(DriverError) {
        if builder.isBuilding { return try builder.start(name, attributes: attributes, namespaces: namespaces) }
        depth += 1
        switch depth {
        case 1:
            guard name == XMLName(version.namespace, "Envelope") else {
                throw DriverError(.internal, "not a SOAP \(version == .soap11 ? "1.1" : "1.2") envelope: the document is \(name)")
            }
            sawEnvelope = true
        case 2:
            inHeader = name == XMLName(version.namespace, "Header")
            guard inHeader || name == XMLName(version.namespace, "Body") else {
                throw DriverError(.internal, "unexpected \(name.local) in the envelope")
            }
        case 3 where inHeader:
            depth -= 1
            return try builder.start(name, attributes: attributes, namespaces: namespaces)
        case 3:
            if name == XMLName(version.namespace, "Fault") {
                depth -= 1
                return try builder.start(name, attributes: attributes, namespaces: namespaces)
            }
            guard responseName == nil else { throw DriverError(.internal, "the body holds more than one element") }
            responseName = name
        case 4:
            depth -= 1
            return try builder.start(name, attributes: attributes, namespaces: namespaces)
        default:
            break
        }
        builder.pass(name, namespaces: namespaces, inPath: depth > 2)
    }

    public func characters(_ utf8: UnsafeBufferPointer<UInt8>) throws(DriverError) {
        builder.characters(utf8)
    }

    public func endElement() throws(DriverError) {
        if builder.isBuilding {
            guard let tree = builder.end() else { return }
            if inHeader {
                header.append(tree)
            } else if tree.name == XMLName(version.namespace, "Fault") {
                fault = tree
            } else {
                try onItem(tree)
            }
            return
        }
        builder.leavePassed()
        depth -= 1
    }
}
