import ControlPlaneProtocol
import DriverModel
import Hummingbird
import NIOCore

/// The admin API: JSON in and out, for the CLI verbs and for tests.
struct AdminRoutes: Sendable {
    let store: ControlPlaneStore
    let configuration: DevControlPlaneConfiguration

    func router() -> Router<ChannelRequestContext> {
        let router = Router(context: ChannelRequestContext.self)
        router.get("/health") { _, _ in Response.json(200, #"{"status":"ok"}"#) }
        router.get("/state") { _, _ in AdminJSON.response(await store.snapshot()) }
        router.get("/events") { _, _ in AdminJSON.response(await store.snapshot().events) }
        router.get("/rejected") { request, _ in
            let agent = request.uri.queryParameters.get("agentId")
            return AdminJSON.response(await store.snapshot().rejected.filter { agent == nil || $0.agentId == agent })
        }
        router.get("/metrics") { _, _ in AdminJSON.response(await store.snapshot().metrics) }
        router.get("/session-syncs") { _, _ in AdminJSON.response(await store.snapshot().sessionSyncs) }

        router.get("/agents") { _, _ in AdminJSON.response(await store.agentRecords()) }
        router.get("/agents/:id") { _, context in
            await answer { () throws(DevControlPlaneError) in
                let id = try parameter(context, "id")
                guard let record = await store.agentRecord(id) else { throw .unknownAgent(id) }
                return AdminJSON.response(record)
            }
        }
        router.post("/agents/:id/approve") { _, context in
            await answer { () throws(DevControlPlaneError) in
                AdminJSON.response(try await store.setApproval(try parameter(context, "id"), .approved))
            }
        }
        router.post("/agents/:id/reject") { _, context in
            await answer { () throws(DevControlPlaneError) in
                AdminJSON.response(try await store.setApproval(try parameter(context, "id"), .rejected))
            }
        }
        router.post("/agents/:id/commands") { request, context in
            let body = try await request.body.collect(upTo: 4 << 20)
            return await answer { () throws(DevControlPlaneError) in
                try await sendCommands(to: try parameter(context, "id"), body: Array(buffer: body))
            }
        }

        router.get("/commands") { request, _ in
            let agent = request.uri.queryParameters.get("agentId")
            let state = request.uri.queryParameters.get("state")
            let commands = await store.snapshot().commands.filter {
                (agent == nil || $0.agentId == agent) && (state == nil || $0.state.rawValue == state)
            }
            return AdminJSON.response(commands)
        }
        router.get("/commands/:id") { _, context in
            await answer { () throws(DevControlPlaneError) in
                let id = try parameter(context, "id")
                guard let command = await store.snapshot().command(id) else { throw .invalidRequest("no command \(id)") }
                return AdminJSON.response(command)
            }
        }
        router.post("/commands/:id/resend") { _, context in
            await answer { () throws(DevControlPlaneError) in
                let id = try parameter(context, "id")
                try await store.resend(id)
                return AdminJSON.response(CommandsSent(commandIds: [id]), status: 202)
            }
        }

        router.get("/sessions") { _, _ in AdminJSON.response(await store.snapshot().sessions) }
        router.post("/sessions") { request, _ in
            let body = try await request.body.collect(upTo: 4 << 20)
            return await answer { () throws(DevControlPlaneError) in
                let bytes = Array(buffer: body)
                var sessionRequest = try AdminJSON.decode(SessionRequest.self, from: bytes)
                // The manifest exactly as sent (Foundation's decoder would turn 1.0 into 1).
                if let manifest = (try? StrictJSON.parse(bytes))?["templateManifest"], manifest != .null {
                    sessionRequest.templateManifest = manifest
                }
                let created = try await store.createSession(sessionRequest)
                return AdminJSON.response(SessionCreated(sessionId: created.sessionId, commandId: created.commandId), status: 201)
            }
        }
        router.get("/sessions/:id") { _, context in
            await answer { () throws(DevControlPlaneError) in
                let id = try parameter(context, "id")
                guard let session = await store.session(id) else { throw .unknownSession(id) }
                return AdminJSON.response(session)
            }
        }
        for (verb, action) in [("hibernate", "hibernate_session"), ("wake", "wake_session")] {
            router.post(RouterPath("/sessions/:id/\(verb)")) { _, context in
                await answer { () throws(DevControlPlaneError) in
                    let commandId = try await store.sessionCommand(try parameter(context, "id"), action: action)
                    return AdminJSON.response(CommandsSent(commandIds: [commandId]), status: 202)
                }
            }
        }
        router.delete("/sessions/:id") { request, context in
            let deletePVC = request.uri.queryParameters.get("deletePVC") == "true"
            return await answer { () throws(DevControlPlaneError) in
                let commandId = try await store.sessionCommand(try parameter(context, "id"), action: "stop_session", deletePVC: deletePVC)
                return AdminJSON.response(CommandsSent(commandIds: [commandId]), status: 202)
            }
        }
        router.get("/sessions/:id/logs") { request, context in
            await answer { () throws(DevControlPlaneError) in
                try await LogsEndpoint(store: store, configuration: configuration)
                    .respond(sessionId: try parameter(context, "id"), query: request.uri.queryParameters, channel: context.channel)
            }
        }
        return router
    }

    /// Body: `{"action": A, "payload": {...}}`, `{"commands": [{"action","payload"}, ...]}`
    /// (queued together: one frame when batching), or `{"raw": "text", "commandIds"?: [ids it carries]}`
    /// sent verbatim.
    private func sendCommands(to agentId: String, body: [UInt8]) async throws(DevControlPlaneError) -> Response {
        let json: JSONValue
        do { json = try StrictJSON.parse(body) } catch { throw .invalidRequest("the body is not JSON: \(error)") }
        if let raw = json["raw"] {
            guard let text = raw.stringValue else { throw .invalidRequest("\"raw\" must be a string") }
            let ids = try (json["commandIds"]?.arrayValue ?? []).map { id throws(DevControlPlaneError) in
                guard case .string(let text) = id, !text.isEmpty else { throw .invalidRequest("\"commandIds\" must be an array of strings") }
                return text
            }
            try await store.sendRaw(text, to: agentId, commandIds: ids)
            return AdminJSON.response(CommandsSent(commandIds: []), status: 202)
        }
        let items = json["commands"]?.arrayValue ?? [json]
        var commands: [OutgoingCommand] = []
        for item in items {
            guard let action = item["action"]?.stringValue, !action.isEmpty else {
                throw .invalidRequest("each command needs a string \"action\" (and an object \"payload\")")
            }
            let payload = item["payload"] ?? .object([:])
            commands.append(OutgoingCommand(action: action, payload: payload))
        }
        guard !commands.isEmpty else { throw .invalidRequest("no commands given") }
        return AdminJSON.response(CommandsSent(commandIds: try await store.send(commands, to: agentId)), status: 202)
    }
}

func parameter(_ context: ChannelRequestContext, _ name: String) throws(DevControlPlaneError) -> String {
    guard let value = context.parameters.get(name) else { throw .invalidRequest("missing \(name) in the path") }
    return value
}

/// Runs a handler whose failures are `DevControlPlaneError`s and turns them into JSON errors.
func answer(_ body: () async throws(DevControlPlaneError) -> Response) async -> Response {
    do {
        return try await body()
    } catch {
        return AdminJSON.error(error)
    }
}
