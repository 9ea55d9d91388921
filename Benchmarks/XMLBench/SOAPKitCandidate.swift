import DriverModel
import SOAPKit

/// SOAPKit as the driver uses it: libxml2's push parser fed 16 KiB at a time (as a response
/// body arrives), one tree per `returnval`, read into a row and dropped.
enum SOAPKitCandidate {
    static func rows(_ bytes: [UInt8]) throws -> [VMRow] {
        var rows: [VMRow] = []
        let reader = SOAPResponseReader(.soap11, what: "bench") { item throws(DriverError) in
            var row = VMRow(vm: try item.text(of: "obj"))
            for property in item.children("propSet") {
                let value = try property.required("val")
                switch try property.text(of: "name") {
                case "name": row.name = value.text
                case "runtime.powerState": row.powerState = value.text
                case "config.extraConfig":
                    for option in value.children("OptionValue") where try option.text(of: "key") == "streamspace.session" {
                        row.session = try option.text(of: "value")
                    }
                default: break
                }
            }
            rows.append(row)
        }
        try bytes.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 16384) {
                try reader.feed(UnsafeRawBufferPointer(rebasing: raw[start..<min(start + 16384, raw.count)]))
            }
        }
        _ = try reader.finish()
        return rows
    }
}
