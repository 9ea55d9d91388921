import DriverModel

/// A SOAP fault as the platform wrote it, in either version's shape.
///
/// SOAP 1.1 (vim25): `faultcode`, `faultstring`, and a `detail` whose element names the fault:
/// `<InvalidLoginFault xsi:type="InvalidLogin">`. SOAP 1.2 (WS-Management): `Code/Value`,
/// `Code/Subcode/Value` (`w:InvalidSelectors`), `Reason/Text` and `Detail`.
public struct SOAPFault: Sendable, Equatable {
    /// `faultcode` or `Code/Value`, as written (`ServerFaultCode`, `s:Sender`).
    public var code: String
    /// SOAP 1.2's `Code/Subcode/Value`, as written.
    public var subcode: String?
    /// `faultstring` or the first `Reason/Text`: the platform's own sentence (may be empty:
    /// vCenter's NotAuthenticated has none).
    public var reason: String
    /// The fault's kind, by which callers classify it: the detail's `xsi:type`
    /// (`ManagedObjectNotFound`), else its element name less "Fault", else the subcode's local part.
    public var kind: String?
    /// The detail's first element, with everything the platform said about the fault.
    public var detail: XMLTree?

    public init(code: String, subcode: String? = nil, reason: String, kind: String?, detail: XMLTree?) {
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.kind = kind
        self.detail = detail
    }

    init(_ fault: XMLTree, version: SOAPVersion) throws(DriverError) {
        switch version {
        case .soap11:
            // SOAP 1.1 puts faultcode, faultstring and detail in no namespace.
            let detail = fault.child("detail", namespace: "")?.children.first
            self.init(code: try fault.text(of: "faultcode", namespace: ""),
                      reason: fault.child("faultstring", namespace: "")?.text ?? "",
                      kind: detail.map(Self.kind), detail: detail)
        case .soap12:
            let code = try fault.required("Code")
            let subcode = code.child("Subcode")?.child("Value")?.text
            let detail = fault.child("Detail")?.children.first
            self.init(code: try code.text(of: "Value"), subcode: subcode,
                      reason: fault.child("Reason")?.child("Text")?.text ?? "",
                      kind: subcode.map(Self.localPart) ?? detail.map(Self.kind), detail: detail)
        }
    }

    private static func kind(_ detail: XMLTree) -> String {
        if let type = detail.type { return type.local }
        let local = detail.name.local
        return local.hasSuffix("Fault") && local != "Fault" ? String(local.dropLast(5)) : local
    }

    private static func localPart(_ qualified: String) -> String {
        qualified.split(separator: ":").last.map(String.init) ?? qualified
    }

    /// The driver's error: `<context>: <kind>: <reason>`, with the platform's own text. `codes`
    /// maps the protocol's fault kinds to status codes; a kind it does not name gets
    /// `fallback`'s code (by default: a client fault is INVALID_ARGUMENT, any other INTERNAL —
    /// not known to pass by itself, so not retried). `detail` carries `{"soapFault": kind}`.
    public func error(_ context: String, codes: [String: DriverStatusCode],
                      fallback: (SOAPFault) -> DriverStatusCode = SOAPFault.codeByFaultCode) -> DriverError {
        let status = kind.flatMap { codes[$0] } ?? fallback(self)
        let said = reason.trimmingSpaces
        let text = [kind, said.isEmpty ? nil : said].compactMap { $0 }.joined(separator: ": ")
        return DriverError(status, "\(context): \(text.isEmpty ? "SOAP fault \(code)" : text)",
                           detail: kind.map { .object(["soapFault": .string($0)]) })
    }

    /// SOAP's own split: the request was wrong (1.1 `Client`, 1.2 `Sender`), or something else.
    public static func codeByFaultCode(_ fault: SOAPFault) -> DriverStatusCode {
        switch localPart(fault.code) {
        case "Client", "Sender": .invalidArgument
        default: .internal
        }
    }
}

extension String {
    /// Without the spaces and line breaks around it (WS-Management ends its reasons with one).
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first?.isWhitespace == true { scalars.removeFirst() }
        while scalars.last?.isWhitespace == true { scalars.removeLast() }
        return String(scalars)
    }
}
