import Foundation
import XMLCoder

/// XMLCoder: the answer decoded into Codable structs shaped like vim25's types.
enum XMLCoderCandidate {
    struct Envelope: Decodable { let Body: Body }
    struct Body: Decodable { let RetrievePropertiesResponse: Response }
    struct Response: Decodable { let returnval: [ObjectContent] }
    struct ObjectContent: Decodable {
        let obj: String
        let propSet: [DynamicProperty]
    }
    struct DynamicProperty: Decodable {
        let name: String
        let val: Value
    }
    /// `val` is polymorphic (xsi:type): text for a string, OptionValue children for extraConfig.
    struct Value: Decodable {
        let text: String?
        let options: [Option]?
        enum CodingKeys: String, CodingKey {
            case text = ""
            case options = "OptionValue"
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            options = try container.decodeIfPresent([Option].self, forKey: .options)
            text = options == nil ? try container.decodeIfPresent(String.self, forKey: .text) : nil
        }
    }
    struct Option: Decodable {
        let key: String
        let value: String
    }

    static func rows(_ data: Data) throws -> [VMRow] {
        let decoder = XMLDecoder()
        decoder.shouldProcessNamespaces = true
        let envelope = try decoder.decode(Envelope.self, from: data)
        return envelope.Body.RetrievePropertiesResponse.returnval.map { content in
            var row = VMRow(vm: content.obj)
            for property in content.propSet {
                switch property.name {
                case "name": row.name = property.val.text ?? ""
                case "runtime.powerState": row.powerState = property.val.text ?? ""
                case "config.extraConfig": row.session = property.val.options?.first { $0.key == "streamspace.session" }?.value
                default: break
                }
            }
            return row
        }
    }
}
