import DriverModel
import SOAPKit
import Testing

/// What a platform, a proxy or a man in the middle might send instead of a SOAP answer: each a
/// clear error, none expanded, fetched or half-read.
@Suite struct HostileAnswerTests {
    static func error(_ text: String, _ version: SOAPVersion = .soap11) throws -> DriverError {
        try #require(throws: DriverError.self) { _ = try SOAPResponseReader.read(Array(text.utf8), version, what: "vCenter's answer") }
    }

    static let envelope = #"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>"#

    @Test func aDocumentTypeDeclarationIsRefused() throws {
        let laughs = #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>"#
            + Self.envelope + "<R><v>&lol2;</v></R></soapenv:Body></soapenv:Envelope>"
        let error = try Self.error(laughs)
        #expect(error.code == .internal)
        #expect(error.message.hasPrefix("vCenter's answer: unreadable XML: the answer has a document type declaration"))
        let external = #"<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>"# + Self.envelope + "<R><v>&e;</v></R></soapenv:Body></soapenv:Envelope>"
        #expect(try Self.error(external).message.contains("document type declaration"))
    }

    @Test func aTruncatedAnswerIsAnErrorNotAShortList() throws {
        let bytes = try Fixtures.vcenter("retrieve-properties-vms.xml")
        var items = 0
        let reader = SOAPResponseReader(.soap11, what: "vCenter's answer") { _ throws(DriverError) in items += 1 }
        try reader.feed(Array(bytes.prefix(bytes.count / 2)))
        let error = try #require(throws: DriverError.self) { try reader.finish() }
        #expect(error.message.hasPrefix("vCenter's answer: unreadable XML: "))
        #expect(items < 4)
    }

    @Test func anHTMLPageFromAProxyIsNotAnEnvelope() throws {
        let error = try Self.error("<html><body>502 Bad Gateway</body></html>")
        #expect(error.message == "vCenter's answer: not a SOAP 1.1 envelope: the document is html")
        #expect(try Self.error("").message.hasPrefix("vCenter's answer: unreadable XML"))
        #expect(try Self.error("not xml at all").message.hasPrefix("vCenter's answer: unreadable XML"))
    }

    @Test func aSOAP12EnvelopeIsNotTakenForSOAP11() throws {
        let error = try Self.error(#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#)
        #expect(error.message.contains("not a SOAP 1.1 envelope: the document is {http://www.w3.org/2003/05/soap-envelope}Envelope"))
    }

    @Test func nestingIsBounded() throws {
        let deep = Self.envelope + "<R>" + String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
            + "</R></soapenv:Body></soapenv:Envelope>"
        #expect(try Self.error(deep).message.contains("nested deeper than 256 elements"))
    }

    @Test func predefinedEntitiesAndCharacterReferencesAreReplaced() throws {
        let text = Self.envelope + #"<R><v a="x &amp; y &#233; &lt;">&amp;&#x65E5;&gt;<![CDATA[<raw>]]></v></R></soapenv:Body></soapenv:Envelope>"#
        let (items, _) = try SOAPResponseReader.read(Array(text.utf8), .soap11, what: "answer")
        #expect(items.first?.attribute("a") == "x & y é <")
        #expect(items.first?.text == "&日><raw>")
    }

    @Test func anUndeclaredTypePrefixIsNamed() throws {
        let text = Self.envelope + #"<R><v xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="nope:T"/></R></soapenv:Body></soapenv:Envelope>"#
        #expect(try Self.error(text).message.contains(#"R/v has xsi:type "nope:T", whose prefix is not declared"#))
    }
}
