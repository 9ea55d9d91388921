@testable import AgentHost
import ControlPlaneProtocol
import DriverModel
import Foundation
import Testing

/// The command journal: records that survive a crash, a torn last line ignored, a bounded file.
@Suite struct CommandJournalTests {
    static let verdict = [AgentMessage.complete(commandId: "cmd-1", result: ["sessionId": .string("alice-t-00000001"),
                                                                          "state": .string("running")])]

    @Test func aRecordIsOneLineAndReadsBackTheSame() throws {
        let failed = AgentMessage.failed(commandId: "cmd-2", error: "line one\nline two \u{1B} \"quoted\"")
        for record in [JournalRecord.begun(commandID: "cmd-1", action: "start_session", sessionID: "alice-t-00000001"),
                       .finished(commandID: "cmd-1", action: "start_session", sessionID: "alice-t-00000001", replies: Self.verdict),
                       .finished(commandID: "cmd-2", action: "stop_session", sessionID: "bob-t-00000002", replies: [failed])] {
            let line = record.line
            #expect(line.last == UInt8(ascii: "\n") && line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            #expect(JournalRecord(line: line.dropLast()) == record)
        }
    }

    @Test func linesThatAreNotRecordsAreSkippedAndCounted() {
        let begun = JournalRecord.begun(commandID: "cmd-1", action: "stop_session", sessionID: "bob-t-00000002").line
        let finished = JournalRecord.finished(commandID: "cmd-1", action: "stop_session", sessionID: "bob-t-00000002", replies: Self.verdict).line
        // The second record torn half-way, as a crash mid-write leaves it; a record without an id.
        let bytes = begun + Array(finished.prefix(finished.count / 2)) + Array(#"{"verdict":[]}"#.utf8)
        let (index, records, skipped) = JournalIndex.load(bytes, capacity: 10)
        #expect(records == 1 && skipped == 1)  // the torn half and the next line read as one bad line
        #expect(index["cmd-1"] == .init(action: "stop_session", sessionID: "bob-t-00000002"))
        let typed = Array(#"{"id":"cmd-9","begun":"start_session","session":7}"#.utf8)
        #expect(JournalIndex.load(typed, capacity: 10).skipped == 1, "a field of the wrong type is not a record")
    }

    @Test func theIndexForgetsTheOldestIdsFirst() {
        var index = JournalIndex(capacity: 3)
        for number in 0..<1000 {
            index.apply(.begun(commandID: "cmd-\(number)", action: "wake_session", sessionID: "s"))
            if number % 2 == 0 { index.apply(.finished(commandID: "cmd-\(number)", action: "wake_session", sessionID: "s", replies: [])) }
        }
        #expect(index.records.map(\.commandID) == ["cmd-997", "cmd-998", "cmd-999"])
        #expect(index["cmd-998"]?.verdict == [] && index["cmd-999"] == .init(action: "wake_session", sessionID: "s"))
        #expect(index["cmd-996"] == nil && index.entries.count == 3)
    }

    @Test func theSessionsLeftOnThePlatformAreAllButTheStoppedOnes() {
        let complete = [AgentMessage.complete(commandId: "x", result: [:])], failed = [AgentMessage.failed(commandId: "x", error: "no")]
        var index = JournalIndex(capacity: 10)
        index.apply(.finished(commandID: "1", action: "start_session", sessionID: "a", replies: complete))
        index.apply(.finished(commandID: "2", action: "stop_session", sessionID: "a", replies: complete))
        index.apply(.finished(commandID: "3", action: "start_session", sessionID: "b", replies: complete))
        index.apply(.begun(commandID: "4", action: "stop_session", sessionID: "b"))  // cut short by a crash
        index.apply(.finished(commandID: "5", action: "stop_session", sessionID: "c", replies: failed))
        index.apply(.finished(commandID: "6", action: "hibernate_session", sessionID: "d", replies: complete))
        index.apply(.finished(commandID: "7", action: "stop_session", sessionID: "d", replies: complete))
        index.apply(.finished(commandID: "8", action: "start_session", sessionID: "d", replies: failed))
        #expect(index.sessionsLeftExisting == ["b", "c", "d"])
    }

    /// Records that arrive together go to disk together (one write, one fsync); each caller
    /// returns once its own record is there, and every record is there after a reopen.
    @Test func concurrentRecordsAllReachTheFile() async throws {
        let directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString)/agent-1"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let journal = try CommandJournal(directory: directory)
            await withTaskGroup(of: LinkError?.self) { group in
                for number in 0..<300 {
                    group.addTask { await journal.record(.begun(commandID: "cmd-\(number)", action: "wake_session", sessionID: "s-\(number)")) }
                }
                for await error in group { #expect(error == nil) }
            }
            #expect((0..<300).allSatisfy { journal.entry("cmd-\($0)") != nil })
        }
        let reopened = try CommandJournal(directory: directory)
        #expect(reopened.loaded.records == 300 && reopened.loaded.skipped == 0 && reopened.loaded.interrupted == 300)
    }

    @Test func whatWasRecordedIsThereAfterReopeningWithATornLastLine() async throws {
        let directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString)/agent-1"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let journal = try CommandJournal(directory: directory)
            #expect(await journal.record(.begun(commandID: "cmd-1", action: "start_session", sessionID: "alice-t-00000001")) == nil)
            #expect(await journal.record(.finished(commandID: "cmd-1", action: "start_session", sessionID: "alice-t-00000001", replies: Self.verdict)) == nil)
            #expect(await journal.record(.begun(commandID: "cmd-2", action: "hibernate_session", sessionID: "alice-t-00000001")) == nil)
        }
        let path = directory + "/" + CommandJournal.fileName
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"id":"cmd-3","beg"#.utf8))  // the crash came mid-write
        handle.closeFile()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let reopened = try CommandJournal(directory: directory)
        #expect(reopened.loaded.records == 3 && reopened.loaded.skipped == 1 && reopened.loaded.interrupted == 1)
        #expect(reopened.entry("cmd-1")?.verdict == Self.verdict)
        #expect(reopened.entry("cmd-2") == .init(action: "hibernate_session", sessionID: "alice-t-00000001"))
        #expect(reopened.entry("cmd-3") == nil)
        // The torn line is gone from the file: the next record starts on a line of its own.
        #expect(await reopened.record(.finished(commandID: "cmd-2", action: "hibernate_session", sessionID: "alice-t-00000001", replies: [])) == nil)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { JournalRecord(line: Array($0.utf8)) != nil }, "\(lines)")
    }

    @Test func theFileStaysBounded() async throws {
        let directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try CommandJournal(directory: directory, capacity: 8)
        let path = directory + "/" + CommandJournal.fileName
        var longest = 0
        for number in 0..<200 {
            await journal.record(.begun(commandID: "cmd-\(number)", action: "stop_session", sessionID: "s-\(number)"))
            await journal.record(.finished(commandID: "cmd-\(number)", action: "stop_session", sessionID: "s-\(number)", replies: []))
            longest = max(longest, try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count)
        }
        #expect(longest <= 3 * 8, "the file grew to \(longest) lines")
        let reopened = try CommandJournal(directory: directory, capacity: 8)
        #expect(reopened.entry("cmd-199")?.verdict == [] && reopened.entry("cmd-192")?.verdict == [])
        #expect(reopened.entry("cmd-191") == nil)
    }

    @Test func anUnwritableStateDirIsAClearError() throws {
        let file = NSTemporaryDirectory() + "journal-file-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        let error = #expect(throws: LinkError.self) { try CommandJournal(directory: file + "/state") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cannot create the folder \(file)"), "\(String(describing: error))")
    }
}
