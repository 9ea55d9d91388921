/// What every candidate reads out of a RetrieveProperties answer for each VM: the same work for
/// all, checked the same way (1,000 rows, every session key present) so no candidate wins by
/// skipping something.
struct VMRow: Equatable {
    var vm = ""
    var name = ""
    var powerState = ""
    var session: String?

    static func check(_ rows: [VMRow], candidate: String) {
        let sessions = Set(rows.compactMap(\.session))
        guard rows.count == 1000, sessions.count == 1000, rows.allSatisfy({ !$0.vm.isEmpty && !$0.name.isEmpty && $0.powerState == "poweredOn" }) else {
            fatalError("\(candidate): read \(rows.count) rows, \(sessions.count) sessions — not the fixture's 1,000")
        }
    }
}
