import DriverModel
import SOAPKit

/// SOAPKit's libxml2 push parser with the same smallest delegate as FoundationCandidate: the
/// parser's own cost, without SOAPKit's trees.
final class LibXML2SAXCandidate: XMLEventHandler {
    private var rows: [VMRow] = []
    private var row = VMRow()
    private var path: [String] = []
    private var text: [UInt8] = []
    private var propertyName = ""
    private var optionKey = ""

    static func rows(_ bytes: [UInt8]) throws -> [VMRow] {
        let handler = LibXML2SAXCandidate()
        let parser = XMLPushParser(handler: handler)
        try bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 16384) {
                try parser.feed(UnsafeRawBufferPointer(rebasing: raw[start..<min(start + 16384, raw.count)]))
            }
        }
        try parser.finish()
        return handler.rows
    }

    func startElement(_ name: XMLName, attributes: [XMLReadAttribute],
                      namespaces: [(prefix: String, namespace: String)]) throws(DriverError) {
        path.append(name.local)
        text.removeAll(keepingCapacity: true)
        if name.local == "returnval" { row = VMRow() }
    }

    func characters(_ utf8: UnsafeBufferPointer<UInt8>) throws(DriverError) { text.append(contentsOf: utf8) }

    func endElement() throws(DriverError) {
        let elementName = path.removeLast()
        let parent = path.last ?? ""
        let value = { String(decoding: self.text, as: UTF8.self) }
        switch (parent, elementName) {
        case ("returnval", "obj"): row.vm = value()
        case ("propSet", "name"): propertyName = value()
        case ("propSet", "val") where propertyName == "name": row.name = value()
        case ("propSet", "val") where propertyName == "runtime.powerState": row.powerState = value()
        case ("OptionValue", "key"): optionKey = value()
        case ("OptionValue", "value") where optionKey == "streamspace.session": row.session = value()
        case (_, "returnval"): rows.append(row)
        default: break
        }
        text.removeAll(keepingCapacity: true)
    }
}
