import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Foundation's XMLParser (what XMLCoder and SWXMLHash parse with), namespaces processed, with
/// the smallest delegate that reads the rows: the floor under both libraries.
final class FoundationCandidate: NSObject, XMLParserDelegate {
    private var rows: [VMRow] = []
    private var row = VMRow()
    private var path: [String] = []
    private var text = ""
    private var propertyName = ""
    private var optionKey = ""

    static func rows(_ data: Data) -> [VMRow] {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        let delegate = FoundationCandidate()
        parser.delegate = delegate
        guard parser.parse() else { fatalError("XMLParser: \(parser.parserError.map(String.init(describing:)) ?? "failed")") }
        return delegate.rows
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        path.append(elementName)
        text = ""
        if elementName == "returnval" { row = VMRow() }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        path.removeLast()
        let parent = path.last ?? ""
        switch (parent, elementName) {
        case ("returnval", "obj"): row.vm = text
        case ("propSet", "name"): propertyName = text
        case ("propSet", "val") where propertyName == "name": row.name = text
        case ("propSet", "val") where propertyName == "runtime.powerState": row.powerState = text
        case ("OptionValue", "key"): optionKey = text
        case ("OptionValue", "value") where optionKey == "streamspace.session": row.session = text
        case (_, "returnval"): rows.append(row)
        default: break
        }
        text = ""
    }
}
