import ControlPlaneProtocol
import DriverModel

/// One fuzz input (Scripts/fuzz.sh): a command payload (JSON) through the start and stop
/// translations. A spec the translation accepts must cross the ABI intact: its JSON form, as the
/// driver decodes it, is the same spec.
func fuzzStartPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let payload = try? StrictJSON.parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    _ = try? CommandTranslation.stopRequest(payload)
    guard let spec = try? CommandTranslation.sessionSpec(fromStart: payload) else { return 0 }
    let decoded = Result { () throws(DriverError) in
        try JSONCoding.decode(SessionSpec.self, from: JSONCoding.encode(spec), what: "the spec")
    }
    guard case .success(spec) = decoded else {
        fatalError("an accepted spec did not survive its JSON form: \(spec) became \(decoded)")
    }
    return 0
}
