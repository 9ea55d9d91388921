import CLibXML2
import DriverModel

/// libxml2's SAX2 push parser: bytes go in as they arrive (a response body chunk by chunk) and
/// events come out to a handler, so no document is ever held whole. Namespaces are resolved by
/// libxml2.
///
/// Hardened for answers from a platform: a document type declaration is refused (SOAP forbids
/// one, and without a DTD no entity but the five predefined ones exists — no external entities,
/// no entity expansion bombs), nothing is fetched from the network, nesting is bounded, and
/// libxml2 prints nothing (its default error handler would write to stderr).
public final class XMLPushParser {
    private let handler: any XMLEventHandler
    private let maxDepth: Int
    private var context: xmlParserCtxtPtr?
    private var failure: DriverError?
    private var depth = 0
    private var finished = false
    /// libxml2 interns names in its dictionary: one Swift string per distinct name pointer.
    private var names: [UnsafeRawPointer: String] = [:]

    public init(handler: any XMLEventHandler, maxDepth: Int = 256) {
        self.handler = handler
        self.maxDepth = maxDepth
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
    }

    /// Parses the next bytes of the document.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(DriverError) {
        try parse(bytes, terminate: false)
    }

    public func feed(_ bytes: [UInt8]) throws(DriverError) {
        var failure: DriverError?
        bytes.withUnsafeBytes { raw in
            do throws(DriverError) { try parse(raw, terminate: false) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Ends the document: an unclosed element or an empty document is an error here.
    public func finish() throws(DriverError) {
        try parse(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true)
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, terminate: Bool) throws(DriverError) {
        if let failure { throw failure }
        guard !finished else { throw DriverError(.internal, "XML parser: fed after the document ended") }
        let context: xmlParserCtxtPtr
        if let existing = self.context { context = existing } else { context = try makeContext() }
        var offset = 0
        repeat {
            // xmlParseChunk takes an Int32 length: feed large buffers in slices.
            let count = min(bytes.count - offset, 1 << 20)
            let start = bytes.baseAddress.map { $0.advanced(by: offset).assumingMemoryBound(to: CChar.self) }
            let last = terminate && offset + count == bytes.count
            let status = xmlParseChunk(context, start, Int32(count), last ? 1 : 0)
            if let failure { throw failure }
            if status != 0 { throw DriverError(.internal, "unreadable XML: \(Self.lastError(context))") }
            offset += count
        } while offset < bytes.count
        if terminate {
            finished = true
            if xmlCtxtGetLastError(context)?.pointee.level == XML_ERR_FATAL || context.pointee.wellFormed == 0 {
                throw DriverError(.internal, "unreadable XML: \(Self.lastError(context))")
            }
        }
    }

    /// libxml2 asks to be initialised once before threads use it; a static let runs exactly once,
    /// whichever thread gets there first.
    private static let initialised: Void = xmlInitParser()

    private func makeContext() throws(DriverError) -> xmlParserCtxtPtr {
        _ = Self.initialised
        var sax = xmlSAXHandler()
        sax.initialized = UInt32(XML_SAX2_MAGIC)
        sax.startElementNs = xmlStartElement
        sax.endElementNs = xmlEndElement
        sax.characters = xmlCharacters
        sax.cdataBlock = xmlCharacters
        sax.ignorableWhitespace = xmlCharacters
        sax.internalSubset = xmlRefuseDoctype
        sax.serror = xmlQuietError
        guard let context = xmlCreatePushParserCtxt(&sax, Unmanaged.passUnretained(self).toOpaque(), nil, 0, nil) else {
            throw DriverError(.resourceExhausted, "XML parser: libxml2 could not make a parser (out of memory)")
        }
        // NOENT only replaces the predefined entities here (a DTD, the only place others could be
        // declared, is refused); without it libxml2 hands `&amp;` in attributes over as `&#38;`.
        xmlCtxtUseOptions(context, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOENT.rawValue | XML_PARSE_NOCDATA.rawValue))
        self.context = context
        return context
    }

    private static func lastError(_ context: xmlParserCtxtPtr) -> String {
        guard let error = xmlCtxtGetLastError(context)?.pointee, let message = error.message else { return "malformed document" }
        let text = String(cString: message).trimmingTrailingNewlines
        return "\(text) (line \(error.line), column \(error.int2))"
    }

    // MARK: Events from libxml2

    fileprivate func fail(_ error: DriverError) {
        guard failure == nil else { return }
        failure = error
        if let context { xmlStopParser(context) }
    }

    fileprivate func name(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        let bytes = UnsafeBufferPointer(start: pointer, count: Int(xmlStrlen(pointer)))
        // A cached string is used only if it still spells these bytes: safe even for a name
        // that did not come from the dictionary.
        if let cached = names[UnsafeRawPointer(pointer)], cached.utf8.elementsEqual(bytes) { return cached }
        let string = String(decoding: bytes, as: UTF8.self)
        names[UnsafeRawPointer(pointer)] = string
        return string
    }

    fileprivate func start(localname: UnsafePointer<xmlChar>?, uri: UnsafePointer<xmlChar>?,
                           namespaceCount: Int32, namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
                           attributeCount: Int32, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        guard failure == nil else { return }
        depth += 1
        guard depth <= maxDepth else { return fail(DriverError(.internal, "unreadable XML: nested deeper than \(maxDepth) elements")) }
        var declared: [(prefix: String, namespace: String)] = []
        if let namespaces {
            for index in 0..<Int(namespaceCount) {
                declared.append((name(namespaces[2 * index]), name(namespaces[2 * index + 1])))
            }
        }
        var read: [XMLReadAttribute] = []
        if let attributes {
            read.reserveCapacity(Int(attributeCount))
            // Five pointers per attribute: localname, prefix, URI, value start, value end.
            for index in 0..<Int(attributeCount) {
                let base = 5 * index
                let value: String
                if let start = attributes[base + 3], let end = attributes[base + 4] {
                    value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
                } else {
                    value = ""
                }
                read.append(XMLReadAttribute(XMLName(name(attributes[base + 2]), name(attributes[base])), value))
            }
        }
        do { try handler.startElement(XMLName(name(uri), name(localname)), attributes: read, namespaces: declared) } catch { fail(error) }
    }

    fileprivate func end() {
        guard failure == nil else { return }
        depth -= 1
        do { try handler.endElement() } catch { fail(error) }
    }

    fileprivate func characters(_ bytes: UnsafePointer<xmlChar>?, _ count: Int32) {
        guard failure == nil, let bytes, count > 0 else { return }
        do { try handler.characters(UnsafeBufferPointer(start: bytes, count: Int(count))) } catch { fail(error) }
    }

    fileprivate func refuseDoctype() {
        fail(DriverError(.internal, "unreadable XML: the answer has a document type declaration, which SOAP forbids (refused: it could declare entities)"))
    }
}

private func parser(_ context: UnsafeMutableRawPointer?) -> XMLPushParser? {
    context.map { Unmanaged<XMLPushParser>.fromOpaque($0).takeUnretainedValue() }
}

// Plain functions, not closures: libxml2 calls them through C function pointers.
private func xmlStartElement(_ context: UnsafeMutableRawPointer?, _ localname: UnsafePointer<xmlChar>?,
                             _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?,
                             _ namespaceCount: Int32, _ namespaces: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
                             _ attributeCount: Int32, _ defaulted: Int32,
                             _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
    parser(context)?.start(localname: localname, uri: uri, namespaceCount: namespaceCount, namespaces: namespaces,
                           attributeCount: attributeCount, attributes: attributes)
}

private func xmlEndElement(_ context: UnsafeMutableRawPointer?, _ localname: UnsafePointer<xmlChar>?,
                           _ prefix: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?) {
    parser(context)?.end()
}

private func xmlCharacters(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafePointer<xmlChar>?, _ count: Int32) {
    parser(context)?.characters(bytes, count)
}

private func xmlRefuseDoctype(_ context: UnsafeMutableRawPointer?, _ name: UnsafePointer<xmlChar>?,
                              _ externalID: UnsafePointer<xmlChar>?, _ systemID: UnsafePointer<xmlChar>?) {
    parser(context)?.refuseDoctype()
}

private func xmlQuietError(_ userData: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
