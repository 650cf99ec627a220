#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif
#if os(Linux)
import CPcap  // sync_file_range
#endif
public import TrafficModel

/// Streams a recording to disk and publishes it atomically: sessions go to a
/// temporary file beside the target as they end; `commit` renames it over
/// the target. Until then the target keeps its previous content, so a kill
/// at any point never leaves a half-written recording.
///
/// `syncsToDisk` decides whether `commit` also waits for the data to reach
/// the disk (fsync) before the rename, so a power loss cannot lose it. That
/// wait is bounded by the disk, not the CPU (about 0.9 s for a 280 MB
/// recording here), so it is worth paying where the recording is the only
/// copy (live capture, the proxy) and not for an import, whose capture file
/// is still there to import again.
public final class RecordingFileWriter {
    public let path: String
    public let temporaryPath: String
    private let source: Source
    private var encoder: RecordingStreamEncoder?
    private var fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes written so far, and how many of them the kernel was already
    /// asked to write back.
    private var written = 0
    private var writebackStarted = 0
    /// Writeback is started every this many bytes, so the data goes to the
    /// disk while the capture is still being read and `commit`'s fsync has
    /// less left to wait for (0.32 s instead of 0.4 s for a 277 MB recording
    /// here: the disk's speed, not the CPU, still bounds it).
    static let writebackChunk = 8 << 20

    public let syncsToDisk: Bool

    public init(path: String, source: Source, syncsToDisk: Bool = true) throws(CaptureError) {
        self.path = path
        self.source = source
        self.syncsToDisk = syncsToDisk
        self.temporaryPath = "\(path).partial-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .writeFailed(path, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Appends finished sessions; the first call fixes `capturedAt`.
    public func write(_ sessions: [Session], capturedAt: Timestamp) throws(CaptureError) {
        guard !sessions.isEmpty else { return }
        if encoder == nil { start(capturedAt) }
        for session in sessions {
            encoder!.append(session, to: &buffer)
            // Inside the loop: the end of a capture hands over every open session at once.
            if buffer.count >= 1 << 20 { try flush() }
        }
    }

    /// Appends one session encoded elsewhere (`RecordingStreamEncoder.encoded`);
    /// the first call fixes `capturedAt`.
    /// A large session is written from its own storage after the buffer,
    /// instead of being copied into it first.
    public func write(encoded session: [UInt8], capturedAt: Timestamp) throws(CaptureError) {
        if encoder == nil { start(capturedAt) }
        guard session.count >= Self.directWriteBytes else {
            encoder!.append(encoded: session, to: &buffer)
            if buffer.count >= 1 << 20 { try flush() }
            return
        }
        encoder!.appendSeparator(to: &buffer)
        try flush()
        try writeAll(session)
        written += session.count
        startWriteback()
    }

    /// Sessions from this size on are written without a copy into the buffer.
    static let directWriteBytes = 64 << 10

    private func start(_ capturedAt: Timestamp) {
        encoder = RecordingStreamEncoder(source: source, capturedAt: capturedAt)
        buffer += encoder!.prefix.utf8
    }

    /// Finishes the document and renames it over `path`.
    public func commit(capturedAt: Timestamp, redaction: RedactionSummary? = nil) throws(CaptureError) {
        if encoder == nil { start(capturedAt) }
        buffer += encoder!.suffix(redaction: redaction).utf8
        try flush()
        guard !syncsToDisk || fsync(fd) == 0 else { throw .writeFailed(temporaryPath, "fsync failed: \(String(cString: strerror(errno)))") }
        close(fd)
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .writeFailed(path, "cannot replace it: \(reason)")
        }
    }

    private func flush() throws(CaptureError) {
        try writeAll(buffer)
        written += buffer.count
        buffer.removeAll(keepingCapacity: true)
        startWriteback()
    }

    private func writeAll(_ bytes: [UInt8]) throws(CaptureError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(temporaryPath, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Asks the kernel to start writing the pages written since the last
    /// call, without waiting for them (Linux; elsewhere fsync does it all).
    private func startWriteback() {
        #if os(Linux)
        guard syncsToDisk, written - writebackStarted >= Self.writebackChunk else { return }
        // Advisory: a failure here only means fsync does the work later.
        _ = authreplay_sync_file_range(fd, Int64(writebackStarted), Int64(written - writebackStarted), UInt32(AUTHREPLAY_SYNC_FILE_RANGE_WRITE))
        writebackStarted = written
        #endif
    }
}
