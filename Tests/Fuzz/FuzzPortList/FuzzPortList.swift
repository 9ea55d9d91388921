import DriverModel
import PlatformKit

/// One fuzz input (Scripts/fuzz.sh): the port list the drivers keep in a container label or an
/// instance key ("vnc=3000/tcp,audio=4713/udp"), which anyone who can create one can write.
/// What decode accepts, encode writes back and decode reads again the same.
func fuzzPortList(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let ports = PortList.decode(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
    let again = PortList.decode(PortList.encode(ports))
    guard again == ports else { fatalError("decode(encode(\(ports))) is \(again)") }
    return 0
}
