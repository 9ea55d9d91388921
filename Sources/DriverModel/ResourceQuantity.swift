/// Kubernetes resource quantities, the way StreamSpace templates write them ("1000m", "2Gi").
/// Parsed once, in the host, so that no driver parses them differently.
public enum ResourceQuantity {
    private static let binarySuffixes: [(String, Int64)] = [
        ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50),
    ]
    private static let decimalSuffixes: [(String, Int64)] = [
        ("k", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ]

    /// "500m" → 500, "2" → 2000, "0.5" → 500. Nil for anything else, zero or negative.
    public static func cpuMillicores(_ text: String) -> Int64? {
        if text.hasSuffix("m") {
            guard let value = Int64(text.dropLast()), value > 0 else { return nil }
            return value
        }
        guard let cores = decimal(text), cores > 0 else { return nil }
        let millicores = (cores * 1000).rounded(.up)
        return millicores < 9e15 ? Int64(millicores) : nil
    }

    /// "2Gi" → 2147483648, "1G" → 1000000000, "512" → 512. Nil for anything else or ≤ 0.
    public static func bytes(_ text: String) -> Int64? {
        for (suffix, factor) in binarySuffixes + decimalSuffixes where text.hasSuffix(suffix) {
            guard let value = decimal(String(text.dropLast(suffix.count))), value > 0 else { return nil }
            let bytes = (value * Double(factor)).rounded(.up)
            return bytes < 9e18 ? Int64(bytes) : nil
        }
        guard let value = Int64(text), value > 0 else { return nil }
        return value
    }

    /// A plain decimal: digits with at most one dot; no signs, exponents or spaces.
    private static func decimal(_ text: String) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "." else { return nil }
        return Double(text)
    }
}
