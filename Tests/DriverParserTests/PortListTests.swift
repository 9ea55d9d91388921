import DriverModel
import PlatformKit
import Testing

/// The port list a driver writes into a platform label or key at creation, read back by any
/// later agent. Anyone who can create a container or instance can write one, so reading must
/// survive any text.
@Suite struct PortListTests {
    @Test func whatEncodeWritesDecodeReads() {
        let ports = [SessionSpec.Port(name: "vnc", port: 3000, protocol: "tcp"),
                     SessionSpec.Port(name: "audio", port: 4713, protocol: "udp")]
        #expect(PortList.encode(ports) == "vnc=3000/tcp,audio=4713/udp")
        #expect(PortList.decode(PortList.encode(ports)) == ports)
        #expect(PortList.decode("vnc=3000") == [SessionSpec.Port(name: "vnc", port: 3000, protocol: "tcp")])
    }

    /// Found by FuzzPortList (Tests/Fixtures/fuzz): an item "vnc=/" (nothing around the slash)
    /// trapped the agent reading the container or instance. Items that are no port are skipped.
    @Test(arguments: ["vnc=/", "vnc=//", "=/", "vnc=/tcp", "vnc=x/tcp", "vnc=", "vnc", ",,", "vnc=0/tcp", "vnc=70000/tcp", "vnc=-1"])
    func anItemThatIsNoPortIsSkipped(_ text: String) {
        #expect(PortList.decode(text).isEmpty)
        #expect(PortList.decode("\(text),web=8080/tcp") == [SessionSpec.Port(name: "web", port: 8080, protocol: "tcp")])
    }

    @Test func theInputTheFuzzerCrashedOnReadsAsNoPorts() throws {
        let input = try Captures.bytes("fuzz", "FuzzPortList/crash-bfb779ae5ec07da1f49534344af7fe3da2ba5c2b")
        #expect(PortList.decode(String(decoding: input, as: UTF8.self)).isEmpty)
    }
}
