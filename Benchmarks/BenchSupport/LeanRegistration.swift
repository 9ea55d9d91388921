import ControlPlaneProtocol
import Hummingbird

extension Bench {
    /// The lean Control Planes' registration: every agent is approved at once, nothing is
    /// checked or kept (the dev control plane is the strict one).
    public static func leanRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post(RouterPath(stringLiteral: Registration.path)) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"approvalStatus":"approved"}"#)))
        }
        return router
    }
}
