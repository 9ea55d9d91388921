import Foundation
import SWXMLHash

/// SWXMLHash: the whole document as an indexable tree (or, lazily, indexed as it is walked).
enum SWXMLHashCandidate {
    static func rows(_ data: Data, lazy: Bool) -> [VMRow] {
        let xml = XMLHash.config { config in
            config.shouldProcessNamespaces = true
            config.shouldProcessLazily = lazy
            config.detectParsingErrors = true
        }.parse(data)
        return xml["Envelope"]["Body"]["RetrievePropertiesResponse"]["returnval"].all.map { content in
            var row = VMRow(vm: content["obj"].element?.text ?? "")
            for property in content["propSet"].all {
                let value = property["val"]
                switch property["name"].element?.text {
                case "name": row.name = value.element?.text ?? ""
                case "runtime.powerState": row.powerState = value.element?.text ?? ""
                case "config.extraConfig":
                    row.session = value["OptionValue"].all.first { $0["key"].element?.text == "streamspace.session" }?["value"].element?.text
                default: break
                }
            }
            return row
        }
    }
}
