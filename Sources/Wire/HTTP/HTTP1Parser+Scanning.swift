// Byte searches over the buffer. They take and return stream offsets and run
// over raw buffer pointers because they see every head byte of the stream.
extension HTTP1Parser {
    /// The end (one past the empty line) of a field section — a head or a
    /// trailer section — that starts at `start`, searching from `scanFrom`.
    /// When not found yet, `resume` is where the next search should start so
    /// that no byte is looked at twice (except the two before a split CRLF).
    /// Bare LF line endings count like CRLF.
    package func findSectionEnd(start: Int, scanFrom: Int) -> (end: Int?, resume: Int) {
        let base = baseOffset
        return buffer.withUnsafeBufferPointer { bytes -> (end: Int?, resume: Int) in
            let count = bytes.count
            // A trailer section may be empty: just the terminating empty line.
            if scanFrom == start {
                let s = start - base
                if s < count && bytes[s] == Self.lf { return (start + 1, start) }
                if s < count && bytes[s] == Self.cr {
                    if s + 1 >= count { return (nil, start) }
                    if bytes[s + 1] == Self.lf { return (start + 2, start) }
                }
            }
            var i = scanFrom - base
            while i < count {
                if bytes[i] != Self.lf {
                    i += 1
                    continue
                }
                // A line ended at i; is the next line empty?
                guard i + 1 < count else { return (nil, i + base) }
                let next = bytes[i + 1]
                if next == Self.lf { return (i + 2 + base, 0) }
                if next == Self.cr {
                    guard i + 2 < count else { return (nil, i + base) }
                    if bytes[i + 2] == Self.lf { return (i + 3 + base, 0) }
                }
                i += 1
            }
            return (nil, count + base)
        }
    }

    /// Stream offset of the next LF at or after `from`, if buffered.
    package func findLineFeed(from: Int) -> Int? {
        let base = baseOffset
        return buffer.withUnsafeBufferPointer { bytes -> Int? in
            var i = from - base
            while i < bytes.count {
                if bytes[i] == Self.lf { return i + base }
                i += 1
            }
            return nil
        }
    }
}
