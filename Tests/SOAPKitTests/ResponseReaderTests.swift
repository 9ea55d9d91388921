import DriverModel
import SOAPKit
import Testing

/// The reader on vcsim's real answers (Tests/Fixtures/vcenter): items as typed trees, names by
/// namespace, the same result however the bytes are cut into chunks.
@Suite struct ResponseReaderTests {
    static let vim = "urn:vim25"

    static func read(_ file: String) throws -> (items: [XMLTree], outcome: SOAPResponseReader.Outcome) {
        try SOAPResponseReader.read(try Fixtures.vcenter(file), .soap11, what: "vcsim's answer")
    }

    /// A VM of a RetrieveProperties answer: its reference and its properties by path.
    static func properties(_ item: XMLTree) throws(DriverError) -> (vm: String, values: [String: XMLTree]) {
        let obj = try item.required("obj")
        #expect(obj.attribute("type") == "VirtualMachine")
        var values: [String: XMLTree] = [:]
        for property in item.children("propSet") { values[try property.text(of: "name")] = try property.required("val") }
        return (obj.text, values)
    }

    static func extraConfig(_ value: XMLTree?) throws(DriverError) -> [String: String] {
        var options: [String: String] = [:]
        for option in value?.children("OptionValue") ?? [] { options[try option.text(of: "key")] = try option.text(of: "value") }
        return options
    }

    @Test func theServiceContentNamesTheManagersByReference() throws {
        let (items, outcome) = try Self.read("retrieve-service-content.xml")
        #expect(outcome == .response(XMLName(Self.vim, "RetrieveServiceContentResponse"), header: []))
        let content = try #require(items.first)
        #expect(items.count == 1)
        #expect(content.name == XMLName(Self.vim, "returnval"))
        let root = try content.required("rootFolder")
        #expect(root.text == "group-d1")
        #expect(root.attribute("type") == "Folder")
        #expect(content.child("sessionManager")?.text == "SessionManager")
        #expect(content.child("propertyCollector")?.text == "propertyCollector")
        #expect(try content.required("about").text(of: "apiType") == "VirtualCenter")
        #expect(try content.required("about").text(of: "apiVersion") == "6.5")
    }

    @Test func theLoginAnswerIsTheUserSession() throws {
        let (items, _) = try Self.read("login.xml")
        let session = try #require(items.first)
        #expect(try session.text(of: "userName") == "streamspace@vsphere.local")
        #expect(try session.text(of: "key").count == 36)
    }

    @Test func vmPropertiesReadWithTheirTypesResolvedByNamespace() throws {
        let (items, outcome) = try Self.read("retrieve-properties-vms.xml")
        #expect(outcome == .response(XMLName(Self.vim, "RetrievePropertiesResponse"), header: []))
        #expect(items.count == 4)
        let (vm, values) = try Self.properties(items[0])
        #expect(vm == "vm-57")
        #expect(values["name"]?.text == "DC0_H0_VM0")
        // vcsim writes `XMLSchema-instance:type`, vCenter `xsi:type`: one namespace, one name.
        #expect(values["name"]?.type == XMLName(XMLNamespace.xsd, "string"))
        #expect(values["config.extraConfig"]?.type == XMLName(Self.vim, "ArrayOfOptionValue"))
        #expect(values["runtime.powerState"]?.text == "poweredOn")
        #expect(values["config.hardware.numCPU"].map { Int($0.text) } == 1)
        let options = try Self.extraConfig(values["config.extraConfig"])
        #expect(options["streamspace.session"] == "s-1")
        #expect(options["streamspace.user"] == #"alice <&"'> Zoë 日本"#)
        #expect(options["streamspace.template"] == "firefox")
        #expect(try Self.extraConfig(try Self.properties(items[2]).values["config.extraConfig"])["streamspace.session"] == nil)
    }

    @Test func aNumberThatIsNotOneIsNamedWithItsPath() throws {
        let (items, _) = try Self.read("retrieve-properties-vms.xml")
        let name = try #require(items[0].children("propSet").first)
        let error = try #require(throws: DriverError.self) { try name.value(of: "val", as: "a number") { Int($0) } }
        #expect(error.message == #"unexpected answer: RetrievePropertiesResponse/returnval/propSet/val is "DC0_H0_VM0", not a number"#)
        let missing = try #require(throws: DriverError.self) { try items[0].required("guest") }
        #expect(missing.message == "unexpected answer: RetrievePropertiesResponse/returnval has no guest")
    }

    @Test(arguments: [1, 7, 4096])
    func chunksOfAnySizeReadAsTheWhole(_ chunkSize: Int) throws {
        let bytes = try Fixtures.vcenter("retrieve-properties-vms.xml")
        let whole = try SOAPResponseReader.read(bytes, .soap11, what: "whole")
        var items: [XMLTree] = []
        let reader = SOAPResponseReader(.soap11, what: "chunked") { item throws(DriverError) in items.append(item) }
        // One byte at a time cuts every multi-byte character and every entity in two.
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            try reader.feed(Array(bytes[start..<min(start + chunkSize, bytes.count)]))
        }
        #expect(try reader.finish() == whole.outcome)
        #expect(items == whole.items)
    }

    @Test func aThousandVMsArriveOneByOne() throws {
        let bytes = try Fixtures.vcenter("retrieve-properties-1000-vms.xml")
        var sessions: [String] = []
        let reader = SOAPResponseReader(.soap11, what: "vcsim's answer") { item throws(DriverError) in
            let options = try Self.extraConfig(try Self.properties(item).values["config.extraConfig"])
            sessions.append(options["streamspace.session"] ?? "none")
        }
        var seenAfterTheFirstTenth: Int?
        for start in stride(from: 0, to: bytes.count, by: 16384) {
            try reader.feed(Array(bytes[start..<min(start + 16384, bytes.count)]))
            if start >= bytes.count / 10, seenAfterTheFirstTenth == nil { seenAfterTheFirstTenth = sessions.count }
        }
        // Items are handed over while the answer still arrives, not at its end.
        #expect((1..<1000).contains(seenAfterTheFirstTenth ?? 0))
        _ = try reader.finish()
        #expect(sessions.count == 1000)
        #expect(Set(sessions) == Set((0..<1000).map { "s-" + String(repeating: "0", count: 4 - String($0).count) + String($0) }))
    }
}
