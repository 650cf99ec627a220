import TrafficModel
import Wire

/// The decoding half of a capture: each kept connection's decoder, fed the
/// steps routing hands out, and auth tracking. Pure, like the decoders.
struct SessionDecoding: Sendable {
    /// A decoder boxed, so the table stays small with 100 000 connections open
    /// and a step mutates its decoder in place instead of copying it out and
    /// back. Copy-on-write: `box(for:)` copies a box another copy of the table
    /// still shares before it is mutated, so the table keeps value semantics
    /// (hence the unchecked Sendable).
    final class DecoderBox: @unchecked Sendable {
        var decoder: ConnectionDecoder
        /// The connection's own tracker when links are deferred (`import --jobs`);
        /// nil: the run's shared tracker.
        var tracker: AuthTracker?

        init(_ decoder: ConnectionDecoder, tracker: AuthTracker?) {
            self.decoder = decoder
            self.tracker = tracker
        }
    }

    /// A connection's session as its decoder left it, and, when its links
    /// were deferred, what its tracker saw (see `complete`).
    struct Finished {
        var session: Session
        var links: LinkLog?

        /// Links presented credentials to issued ones (deferred trackers only)
        /// and puts the findings in their canonical order: the session as the
        /// serial path writes it.
        mutating func complete(linking issued: IssuedCredentials?) {
            if let links, let issued { issued.link(&session.auth, presented: links.presented) }
            session.auth = AuthTracker.canonicalOrder(session.auth)
        }
    }

    private var decoders: [ConnectionID: DecoderBox] = [:]

    /// Applies one step; the connection's session when the step ended it.
    /// `shared`: the run's tracker, for boxes without their own. `position`:
    /// the step's place in the capture, for deferred links. Issues a
    /// deferred tracker saw go to `issued`, for the other connections.
    mutating func apply(
        _ step: DecodingStep, position: UInt64, shared: inout AuthTracker?, issued: inout [LinkLog.Issued]
    ) -> Finished? {
        switch step {
        case .start(let id, let box):
            decoders[id] = box
        case .data(let id, let direction, let bytes, let at):
            guard let box = box(for: id) else { return nil }
            box.decoder.receive(bytes, from: direction, at: at)
            Self.track(&box.decoder, own: &box.tracker, shared: &shared, position: position, issued: &issued)
        case .gap(let id, let direction, let count, let at):
            guard let box = box(for: id) else { return nil }
            box.decoder.gap(count, from: direction, at: at)
            Self.track(&box.decoder, own: &box.tracker, shared: &shared, position: position, issued: &issued)
        case .finish(let id, let end):
            guard let box = decoders.removeValue(forKey: id) else { return nil }
            var decoder = box.decoder
            var tracker = box.tracker
            _ = decoder.finish(kind: end.kind, by: end.by, at: end.at, captureTruncated: end.captureTruncated)
            Self.track(&decoder, own: &tracker, shared: &shared, position: position, issued: &issued)
            var session = decoder.session
            session.outerPath = end.outerPath
            session.anomalies += end.lostDatagrams
            return Finished(session: session, links: tracker?.links)
        }
        return nil
    }

    private mutating func box(for id: ConnectionID) -> DecoderBox? {
        guard let index = decoders.index(forKey: id) else { return nil }
        if !isKnownUniquelyReferenced(&decoders.values[index]) {
            let shared = decoders.values[index]
            decoders.values[index] = DecoderBox(shared.decoder, tracker: shared.tracker)
        }
        return decoders.values[index]
    }

    /// Auth findings of the messages a step completed, kept on the session.
    private static func track(
        _ decoder: inout ConnectionDecoder, own: inout AuthTracker?, shared: inout AuthTracker?, position: UInt64,
        issued: inout [LinkLog.Issued]
    ) {
        guard !decoder.completed.isEmpty else { return }
        if own != nil {
            own!.position = position
            decoder.trackAuth(&own!)
            issued += own!.takeIssued()
        } else if var tracker = shared {
            shared = nil  // so the copy being updated is the only one (no copy-on-write of its tables)
            decoder.trackAuth(&tracker)
            shared = tracker
        }
    }
}
