/// Finds the next byte a scanner cares about, sixteen bytes at a time.
///
/// The JSON writer and the redaction prescan each pass over every payload
/// byte of an import (hundreds of megabytes), nearly all of them bytes that
/// need nothing; one vector compare per sixteen bytes is about twice as fast
/// as the eight-byte SWAR tests it replaced. `SIMD16<UInt8>` compiles to SSE2
/// on x86-64 and NEON on arm64.
///
/// Build test vectors with `Lanes(repeating:)`: a literal (`lanes .== 0x22`)
/// goes through a generic initializer on every call and is hundreds of times
/// slower.
enum ByteScan {
    typealias Lanes = SIMD16<UInt8>
    typealias Marks = SIMDMask<SIMD16<Int8>>

    /// The index of the first byte at or after `start` that `Class` marks;
    /// `count` when there is none. Generic rather than taking closures, so
    /// that each use is specialized and its tests inlined into the loop.
    @inline(__always)
    static func firstMarked<Class: ByteClass>(_ base: UnsafePointer<UInt8>, from start: Int, count: Int, _: Class.Type) -> Int {
        let raw = UnsafeRawPointer(base)
        var i = start
        while i + 16 <= count {
            let found = Class.marks(raw.loadUnaligned(fromByteOffset: i, as: Lanes.self))
            if any(found) { return i + firstLane(found) }
            i += 16
        }
        guard i < count else { return count }
        guard count >= 16 else {
            while i < count && !Class.isMarked(base[i]) { i += 1 }
            return i
        }
        // The tail as the last sixteen bytes, ignoring the lanes before `i`.
        let last = count - 16
        let found = Class.marks(raw.loadUnaligned(fromByteOffset: last, as: Lanes.self)) .& (iota .>= Lanes(repeating: UInt8(i - last)))
        return any(found) ? last + firstLane(found) : count
    }

    private static var iota: Lanes { Lanes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }

    /// The lowest marked lane (16 if none).
    @inline(__always)
    private static func firstLane(_ found: Marks) -> Int {
        Int(Lanes(repeating: 16).replacing(with: iota, where: found).min())
    }
}

/// A set of bytes a scan stops at, tested on one byte and on sixteen; the
/// two tests must agree.
protocol ByteClass {
    static func isMarked(_ byte: UInt8) -> Bool
    static func marks(_ lanes: ByteScan.Lanes) -> ByteScan.Marks
}
