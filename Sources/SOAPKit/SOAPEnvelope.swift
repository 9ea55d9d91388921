import DriverModel

/// The SOAP versions the drivers speak: 1.1 for vSphere's vim25, 1.2 for WS-Management (WinRM).
public enum SOAPVersion: Sendable {
    case soap11, soap12

    public var namespace: String {
        switch self {
        case .soap11: XMLNamespace.soap11Envelope
        case .soap12: XMLNamespace.soap12Envelope
        }
    }

    /// The prefix the envelope is written with: what each protocol's own clients use.
    var prefix: String {
        switch self {
        case .soap11: "soapenv"
        case .soap12: "s"
        }
    }

    /// The request's Content-Type (SOAP 1.2 carries the action in it).
    public func contentType(action: String?) -> String {
        switch self {
        case .soap11: return "text/xml; charset=utf-8"
        case .soap12:
            guard let action else { return "application/soap+xml; charset=utf-8" }
            return "application/soap+xml; charset=utf-8; action=\"\(action)\""
        }
    }
}

/// A request: header blocks and body elements in an Envelope, written by XMLWriter (every value
/// escaped there). `prefixes` are declared on the Envelope, after the SOAP, xsi and xsd ones.
public struct SOAPEnvelope: Sendable {
    public var version: SOAPVersion
    public var header: [XMLElement]
    public var body: [XMLElement]
    public var prefixes: [(prefix: String, namespace: String)]

    public init(_ version: SOAPVersion, header: [XMLElement] = [], body: [XMLElement],
                prefixes: [(prefix: String, namespace: String)] = []) {
        self.version = version
        self.header = header
        self.body = body
        self.prefixes = prefixes
    }

    public func bytes() throws(DriverError) -> [UInt8] {
        let soap = XMLVocabulary(version.namespace)
        var content: [XMLContent] = []
        if !header.isEmpty { content.append(.element(XMLElement(soap.name("Header"), content: header.map { .element($0) }))) }
        content.append(.element(XMLElement(soap.name("Body"), content: body.map { .element($0) })))
        let writer = XMLWriter(preferredPrefixes: [(version.prefix, version.namespace), ("xsi", XMLNamespace.xsi),
                                                   ("xsd", XMLNamespace.xsd)] + prefixes)
        return try writer.document(XMLElement(soap.name("Envelope"), content: content))
    }
}
