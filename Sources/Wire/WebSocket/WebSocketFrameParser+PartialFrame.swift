extension WebSocketFrameParser {
    /// A frame whose header has been read and whose payload arrives in
    /// pieces, unmasked as it comes.
    package struct PartialFrame: Sendable {
        /// The frame as it will be returned; `payload` grows to its full length.
        private(set) var frame: WebSocketFrame
        /// The header as it was on the wire, for `wireBytes`.
        package let header: [UInt8]

        package init(frame: WebSocketFrame, header: [UInt8]) {
            self.frame = frame
            self.header = header
            // Room for the whole payload, so it is not copied again as it
            // grows; up to 1 MiB, the most a parser's buffer keeps between
            // frames anyway, so a header that lies about its length holds
            // no more than that.
            self.frame.payload.reserveCapacity(min(payloadLength, 1 << 20))
        }

        package var payloadLength: Int { frame.endOffset - frame.startOffset - header.count }

        /// Payload bytes still to come.
        package var missing: Int { payloadLength - frame.payload.count }

        package mutating func appendPayload(_ bytes: UnsafeRawBufferPointer) {
            guard !bytes.isEmpty else { return }
            let offset = frame.payload.count
            frame.payload.append(contentsOf: bytes)
            guard let key = frame.maskingKey else { return }
            let phased = Self.maskingKey(key, from: offset)
            frame.payload.withUnsafeMutableBytes { payload in
                let piece = payload.baseAddress! + offset
                WebSocketFrameParser.unmask(from: piece, to: piece, count: bytes.count, key: phased)
            }
        }

        /// The frame's bytes so far as they were on the wire: masking again
        /// (XOR is its own inverse) restores the payload that was sent.
        package var wireBytes: [UInt8] {
            var payload = frame.payload
            if let key = frame.maskingKey, !payload.isEmpty {
                payload.withUnsafeMutableBytes { bytes in
                    WebSocketFrameParser.unmask(from: bytes.baseAddress!, to: bytes.baseAddress!, count: bytes.count, key: key)
                }
            }
            return header + payload
        }

        /// The key that applies from payload byte `offset` on: payload byte
        /// `i` is XORed with key byte `i % 4` (RFC 6455 §5.3), so a piece
        /// starting mid-key starts with the key rotated.
        package static func maskingKey(_ key: UInt32, from offset: Int) -> UInt32 {
            let shift = UInt32(offset % 4) * 8
            return shift == 0 ? key : key << shift | key >> (32 - shift)
        }
    }
}
