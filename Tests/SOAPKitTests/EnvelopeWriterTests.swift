import DriverModel
import SOAPKit
import Testing

/// The envelope writer: the markup is ours, every value escaped, namespaces declared where they
/// are needed — checked byte for byte, and by reading what it wrote back with libxml2.
@Suite struct EnvelopeWriterTests {
    let vim = XMLVocabulary("urn:vim25")

    func text(_ envelope: SOAPEnvelope) throws -> String { String(decoding: try envelope.bytes(), as: UTF8.self) }

    /// The first item of the body's element, read back through SOAPResponseReader.
    func readBack(_ envelope: SOAPEnvelope) throws -> XMLTree {
        let (items, _) = try SOAPResponseReader.read(try envelope.bytes(), envelope.version, what: "our own envelope")
        return try #require(items.first)
    }

    @Test func retrieveServiceContentIsWrittenAsVSphereClientsWriteIt() throws {
        let envelope = SOAPEnvelope(.soap11, body: [
            vim("RetrieveServiceContent") { vim("_this", ["type": "ServiceInstance"], text: "ServiceInstance") },
        ])
        #expect(try text(envelope) == #"<?xml version="1.0" encoding="UTF-8"?>"#
            + #"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" "#
            + #"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">"#
            + #"<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this>"#
            + #"</RetrieveServiceContent></soapenv:Body></soapenv:Envelope>"#)
    }

    @Test func markupCharactersInValuesAreEscaped() throws {
        let value = #"</password><evil a="1"/>&amp; 'q'"#
        let envelope = SOAPEnvelope(.soap11, body: [
            vim("Login") { vim("password", ["note": value], text: value) },
        ])
        #expect(try text(envelope).contains(
            #"<password note="&lt;/password&gt;&lt;evil a=&quot;1&quot;/&gt;&amp;amp; &apos;q&apos;">"#
            + #"&lt;/password&gt;&lt;evil a="1"/&gt;&amp;amp; 'q'</password>"#))
        let read = try readBack(envelope)
        #expect(read.text == value)
        #expect(read.attribute("note") == value)
        #expect(read.children.isEmpty)
    }

    @Test(arguments: [
        "Zoë 日本 🙂", "a]]>b", "  spaces kept  ", "line\nbreak", "tab\there", "cr\r\nlf", "\u{FFFD}\u{10FFFF}", "",
    ])
    func valuesComeBackAsTheyWereWritten(_ value: String) throws {
        let envelope = SOAPEnvelope(.soap11, body: [vim("Echo") { vim("value", ["attr": value], text: value) }])
        let read = try readBack(envelope)
        #expect(read.text == value)
        #expect(read.attribute("attr") == value)
    }

    @Test func nonASCIIIsWrittenAsUTF8() throws {
        let bytes = try SOAPEnvelope(.soap11, body: [vim("v", text: "é")]).bytes()
        #expect(bytes.contains(0xC3) && bytes.contains(0xA9))
    }

    @Test(arguments: ["\u{0}", "\u{1}", "a\u{1F}b", "\u{FFFE}", "\u{FFFF}"])
    func aCharacterXMLCannotCarryIsRefusedByName(_ value: String) throws {
        let envelope = SOAPEnvelope(.soap11, body: [vim("v", text: value)])
        let error = try #require(throws: DriverError.self) { try envelope.bytes() }
        #expect(error.code == .invalidArgument)
        let scalar = value.unicodeScalars.first { $0.value < 0x20 || $0.value >= 0xFFFE }!
        let hex = String(scalar.value, radix: 16, uppercase: true)
        #expect(error.message.contains("U+" + String(repeating: "0", count: 4 - hex.count) + hex))
    }

    @Test func aNameThatIsNotAnXMLNameIsRefused() throws {
        for name in ["a<b", "1a", "", "a b", "a:b"] {
            #expect(throws: DriverError.self) { try SOAPEnvelope(.soap11, body: [vim(name, text: "x")]).bytes() }
            #expect(throws: DriverError.self) {
                try SOAPEnvelope(.soap11, body: [vim("v", extra: [XMLAttribute(XMLName(local: name), "x")])]).bytes()
            }
        }
    }

    @Test func xsiTypeValuesGetThePrefixBoundToTheirNamespace() throws {
        let envelope = SOAPEnvelope(.soap11, body: [vim("ReconfigVM_Task") {
            vim("selectSet", extra: [.xsiType(vim.name("TraversalSpec"))]) { vim("name", text: "view") }
            vim("value", extra: [.xsiType(XMLName(XMLNamespace.xsd, "string"))], text: "s-1")
        }])
        let written = try text(envelope)
        #expect(written.contains(#"<selectSet xsi:type="TraversalSpec">"#))
        #expect(written.contains(#"<value xsi:type="xsd:string">s-1</value>"#))
        let read = try readBack(envelope)
        #expect(read.name == vim.name("selectSet"))
        #expect(read.type == vim.name("TraversalSpec"))
    }

    @Test func otherNamespacesAreDeclaredWhereTheyAreUsed() throws {
        let other = XMLVocabulary("urn:other")
        let envelope = SOAPEnvelope(.soap11, body: [vim("Call") {
            other("inner", extra: [XMLAttribute(XMLName("urn:attr", "flag"), "1")]) { other("deeper", text: "x") }
            XMLElement(XMLName(local: "plain"), content: [.text("no namespace")])
            vim("typed", extra: [.xsiType(XMLName("urn:types", "T"))], text: "y")
        }])
        let written = try text(envelope)
        #expect(written.contains(#"<inner xmlns="urn:other" xmlns:ns1="urn:attr" ns1:flag="1"><deeper>x</deeper></inner>"#))
        #expect(written.contains(#"<plain xmlns="">no namespace</plain>"#))
        #expect(written.contains(#"<typed xmlns:ns1="urn:types" xsi:type="ns1:T">y</typed>"#))

        let (items, _) = try SOAPResponseReader.read(try envelope.bytes(), .soap11, what: "our own envelope")
        #expect(items.map(\.name) == [XMLName("urn:other", "inner"), XMLName(local: "plain"), vim.name("typed")])
        #expect(items[0].child("deeper")?.text == "x")
        #expect(items[0].attribute("flag", namespace: "urn:attr") == "1")
        #expect(items[2].type == XMLName("urn:types", "T"))
    }

    @Test func aWSManagementRequestHasItsHeaderAndPrefixes() throws {
        let addressing = XMLVocabulary("http://schemas.xmlsoap.org/ws/2004/08/addressing")
        let wsman = XMLVocabulary("http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd")
        let envelope = SOAPEnvelope(.soap12, header: [
            addressing("To", text: "https://host:5986/wsman"),
            wsman("SelectorSet") { wsman("Selector", ["Name": "ShellId"], text: "A1-B2") },
        ], body: [], prefixes: [("a", addressing.namespace), ("w", wsman.namespace)])
        let written = try text(envelope)
        #expect(written.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope""#))
        #expect(written.contains(#"<s:Header><a:To>https://host:5986/wsman</a:To><w:SelectorSet><w:Selector Name="ShellId">A1-B2</w:Selector></w:SelectorSet></s:Header><s:Body/>"#))
        let reader = SOAPResponseReader(.soap12, what: "our own envelope")
        try reader.feed(try envelope.bytes())
        guard case .response(nil, let header) = try reader.finish() else { Issue.record("not a response"); return }
        #expect(header.map(\.name.local) == ["To", "SelectorSet"])
        #expect(header[1].child("Selector")?.attribute("Name") == "ShellId")
    }
}
