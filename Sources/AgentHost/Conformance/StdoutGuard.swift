import Glibc
import Synchronization

/// Captures everything written to file descriptor 1 while the conformance checks run: a driver
/// must never write to stdout (R9), which belongs to the agent's CLI.
final class StdoutGuard: Sendable {
    private let savedStdout: Int32
    private let readEnd: Int32
    private let capture = Capture()

    private final class Capture: Sendable {
        let bytes = Mutex<[UInt8]>([])
        let drained = Mutex<Bool>(false)
    }

    init?() {
        fflush(nil)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        savedStdout = dup(1)
        readEnd = fds[0]
        dup2(fds[1], 1)
        close(fds[1])
        let readEnd = self.readEnd
        let capture = self.capture
        // A plain thread, so that a full pipe can never block a driver's write.
        Thread.detach {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count <= 0 { break }
                capture.bytes.withLock { $0 += buffer[..<count] }
            }
            capture.drained.withLock { $0 = true }
        }
    }

    /// Restores stdout and returns what was written to it meanwhile.
    func finish() -> [UInt8] {
        fflush(nil)
        dup2(savedStdout, 1)
        close(savedStdout)
        // The write end is closed now (dup2 replaced the last copy): the reader sees EOF.
        while !capture.drained.withLock({ $0 }) { usleep(1000) }
        close(readEnd)
        return capture.bytes.withLock { $0 }
    }
}

/// A detached POSIX thread for blocking reads.
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        let created = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(box).release()
            body()
        }
    }
}
