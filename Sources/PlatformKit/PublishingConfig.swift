#if canImport(Glibc)
import Glibc
#endif
import DriverModel

/// Where a driver publishes session ports and how it names them in URLs: the same three
/// settings for every driver that publishes ports on a host (Docker's publishAddress, LXD's
/// listenAddress), read and checked in one place.
public struct PublishingConfig: Sendable, Equatable {
    /// The address ports listen on; loopback unless the operator opens it.
    public var address: String
    /// The host in reported URLs; for a wildcard address, loopback unless told.
    public var publicHost: String
    public var publicScheme: String

    public init(_ config: DriverConfig, addressKey: String) throws(DriverError) {
        address = try config.string(addressKey, default: "127.0.0.1")
        guard Self.isIPAddress(address) else {
            throw config.invalid(addressKey, "must be an IPv4 or IPv6 address (e.g. 127.0.0.1 or 0.0.0.0), not \"\(address)\"")
        }
        let wildcard = address == "0.0.0.0" || address == "::"
        publicHost = try config.string("publicHost", default: wildcard ? "127.0.0.1" : address)
        guard !publicHost.isEmpty, publicHost.utf8.count <= 253,
              publicHost.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            throw config.invalid("publicHost", "must be a host name or IP address")
        }
        publicScheme = try config.string("publicScheme", default: "http")
        guard ["http", "https"].contains(publicScheme) else { throw config.invalid("publicScheme", "must be http or https") }
    }

    /// Where the agent itself connects to a published port: the address it listens on, or
    /// loopback for a wildcard.
    public var dialHost: String {
        switch address {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: address
        }
    }

    public static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
