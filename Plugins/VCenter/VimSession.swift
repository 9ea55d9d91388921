import DriverModel
import NIOCore
import NIOHTTP1
import PlatformKit
import SOAPKit

/// One logged-in session with vCenter's SOAP API (vim25): the ServiceContent read once, Login,
/// the session cookie sent with every call, a new Login when vCenter forgets the session
/// (NotAuthenticated: it expired or was terminated), Logout at the end. Answers stream through
/// SOAPKit's reader item by item.
///
/// Credentials: the password goes into the Login envelope and nowhere else; every error that
/// leaves here has it replaced by `***` (VimEndpoint.redacted), and no description shows it.
actor VimSession {
    static let vim = XMLVocabulary("urn:vim25")
    /// The API version we ask for: what vCenter 6.5 and every later one answers.
    static let soapAction = "\"urn:vim25/6.5\""
    static let maxAnswerBytes = 256 << 20

    let endpoint: VimEndpoint
    private let http: PlatformHTTPClient
    private var content: XMLTree?
    private var cookie: String?
    /// Bumped by each Login: a call that met NotAuthenticated logs in again only if no other
    /// call already did since it sent its request.
    private var generation = 0
    /// Logins made, for the tests of re-login.
    private(set) var logins = 0

    init(_ endpoint: VimEndpoint) throws(DriverError) {
        self.endpoint = endpoint
        do {
            http = try PlatformHTTPClient(address: .http(host: endpoint.host, port: endpoint.port, tls: endpoint.tls),
                                          platformName: "vCenter")
        } catch {
            throw endpoint.redacted(error)
        }
    }

    /// vCenter's ServiceContent (references to its managers), asked for once per session.
    func serviceContent() async throws(DriverError) -> XMLTree {
        if let content { return content }
        let body = Self.vim("RetrieveServiceContent") { Self.vim("_this", ["type": "ServiceInstance"], text: "ServiceInstance") }
        guard let answer = try await post(body, what: "RetrieveServiceContent").first else {
            throw DriverError(.internal, "vcenter: RetrieveServiceContent answered no ServiceContent")
        }
        content = answer
        return answer
    }

    /// A reference to one of the managers the ServiceContent names (`sessionManager`…).
    func manager(_ name: String) async throws(DriverError) -> (type: String, value: String) {
        let reference = try await serviceContent().required(name)
        return (reference.attribute("type") ?? "", reference.text)
    }

    /// Logs in (again). A refused login names the user and vCenter's reason, never the password.
    func login() async throws(DriverError) {
        let manager = try await manager("sessionManager")
        let body = Self.vim("Login") {
            Self.vim("_this", ["type": manager.type], text: manager.value)
            Self.vim("userName", text: endpoint.user)
            Self.vim("password", text: endpoint.password)
        }
        let previous = cookie
        cookie = nil
        do {
            _ = try await post(body, what: "Login")
        } catch where error.detail?["soapFault"]?.stringValue == "InvalidLogin" {
            cookie = previous
            throw DriverError(.failedPrecondition,
                              "vcenter: login refused for user \(endpoint.user) at \(endpoint.host):\(endpoint.port) (\(Self.withoutContext(error.message, "Login"))): check the user name and the password",
                              detail: error.detail)
        }
        guard cookie != nil else { throw DriverError(.internal, "vcenter: Login succeeded but vCenter set no session cookie") }
        generation += 1
        logins += 1
    }

    /// Calls a vim25 method with the session, logging in first if there is none and once more
    /// if vCenter no longer knows the session. Each item of the answer goes to `onItem` as it
    /// arrives; without one, the items are returned.
    @discardableResult
    func call(_ body: XMLElement, what: String,
              onItem: (@Sendable (XMLTree) throws(DriverError) -> Void)? = nil) async throws(DriverError) -> [XMLTree] {
        if cookie == nil { try await login() }
        let sentWith = generation
        do {
            return try await post(body, what: what, onItem: onItem)
        } catch where error.detail?["soapFault"]?.stringValue == "NotAuthenticated" {
            if generation == sentWith { try await login() }
            return try await post(body, what: what, onItem: onItem)
        }
    }

    /// Ends the session (vCenter keeps idle sessions for 30 minutes otherwise) and the client.
    func logout() async {
        if cookie != nil, let manager = try? await manager("sessionManager") {
            _ = try? await post(Self.vim("Logout") { Self.vim("_this", ["type": manager.type], text: manager.value) },
                                what: "Logout")
        }
        cookie = nil
        await http.shutdown()
    }

    /// A fault's text without the `vcenter: <what>: ` that VimFaults put before it.
    static func withoutContext(_ message: String, _ what: String) -> String {
        let context = "vcenter: \(what): "
        return message.hasPrefix(context) ? String(message.dropFirst(context.count)) : message
    }

    // MARK: One request

    private func post(_ body: XMLElement, what: String,
                      onItem: (@Sendable (XMLTree) throws(DriverError) -> Void)? = nil) async throws(DriverError) -> [XMLTree] {
        do {
            return try await exchange(body, what: what, onItem: onItem)
        } catch {
            throw endpoint.redacted(error)
        }
    }

    private func exchange(_ body: XMLElement, what: String,
                          onItem: (@Sendable (XMLTree) throws(DriverError) -> Void)?) async throws(DriverError) -> [XMLTree] {
        let envelope = try SOAPEnvelope(.soap11, body: [body]).bytes()
        var headers = [("SOAPAction", Self.soapAction)]
        if let cookie { headers.append(("Cookie", cookie)) }
        let response = try await http.stream(.POST, endpoint.path, body: .raw(envelope, contentType: SOAPVersion.soap11.contentType(action: nil)),
                                             headers: headers, timeout: .seconds(120))
        // vim25 answers 200, or 500 with a fault; anything else is not vCenter speaking.
        guard response.status == 200 || response.status == 500 else {
            throw DriverError(PlatformErrorClass.code(status: response.status, message: ""),
                              "vcenter: \(what): \(endpoint.host):\(endpoint.port)\(endpoint.path) answered HTTP \(response.status), not SOAP")
        }
        if let setCookie = response.headers["Set-Cookie"].first(where: { $0.hasPrefix("vmware_soap_session=") }) {
            cookie = String(setCookie.prefix { $0 != ";" })
        }
        let collected = ItemBox()
        let reader = SOAPResponseReader(.soap11, what: "vCenter's \(what) answer") { item throws(DriverError) in
            if let onItem { try onItem(item) } else { collected.items.append(item) }
        }
        var received = 0
        do {
            for try await chunk in response.body {
                received += chunk.readableBytes
                guard received <= Self.maxAnswerBytes else {
                    throw DriverError(.internal, "vcenter: \(what): the answer is larger than \(Self.maxAnswerBytes >> 20) MiB")
                }
                try reader.feed(Array(buffer: chunk))
            }
        } catch {
            throw http.transportError(error, what: what, timeout: .seconds(120))
        }
        switch try reader.finish() {
        case .response: return collected.items
        case .fault(let fault): throw VimFaults.error(fault, "vcenter: \(what)")
        }
    }
}

/// The items of one answer, gathered by the reader's callback (used on one task only).
private final class ItemBox: @unchecked Sendable {
    var items: [XMLTree] = []
}
