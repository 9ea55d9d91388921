import ControlPlaneProtocol
import DriverModel

/// How the real server reads one inbound frame: exactly one JSON value (a frame holding two
/// messages, even on separate lines, is a decode error), an RFC 3339 or absent timestamp, then
/// the Go struct types of the payload. Anything else is dropped whole.
enum InboundDecoding {
    enum Outcome: Sendable, Equatable {
        case message(Message)
        case dropped(stage: RejectedMessage.Stage, type: String?, reason: String)
    }

    static func decode(_ text: String) -> Outcome {
        switch Message.decode(text) {
        case .failure(let error):
            return .dropped(stage: .decode, type: nil, reason: error.description)
        case .success(let message):
            if let mismatch = GoTypes.mismatch(type: message.type, payload: message.payload) {
                return .dropped(stage: .types, type: message.type, reason: mismatch)
            }
            return .message(message)
        }
    }
}
