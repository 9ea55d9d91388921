/// A configuration printed, dumped or interpolated shows whether there is a key, never the key.
extension LinkConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "LinkConfiguration(controlPlaneURL: \(controlPlaneURL), agentID: \(agentID), apiKey: \(apiKey == nil ? "none" : Redactor.placeholder), "
            + "platform: \(platform), region: \(region), stateDirectory: \(stateDirectory ?? "none"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "controlPlaneURL": controlPlaneURL, "agentID": agentID,
            "apiKey": apiKey == nil ? "none" : Redactor.placeholder,
            "platform": platform, "region": region, "capacity": capacity, "metadata": metadata,
            "tls": tls, "stateDirectory": stateDirectory as Any,
        ], displayStyle: .struct)
    }
}
