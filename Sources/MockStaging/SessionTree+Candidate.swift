import TrafficModel

extension SessionTree {
    /// One recorded session the client may still be in: its script, and its
    /// client messages prepared once for comparison.
    public struct Candidate: Sendable {
        public let reference: RecordedReference
        /// The recording's start, in seconds since the epoch (its virtual clock).
        public let epoch: Double
        let steps: [SessionScript.Step]
        /// The recorded client message awaited at a step, by step index.
        let expected: [Int: ExpectedMessage]
        /// Taken from the pool by another connection (or earlier).
        var served = false

        /// A recorded client message with the class of its credentials,
        /// judged as the recorded server met them: at its moment, against
        /// the credentials the recording issued before it.
        struct ExpectedMessage: Sendable {
            var shape: MessageShape
            var authClass: AuthClass
            /// Seconds since the epoch when it was sent (the virtual clock).
            var moment: Double
        }

        public init(_ source: ExchangeMatcher.SessionCandidate, settings: SessionTree.Settings) {
            let steps = SessionScript.steps(session: source.session, upgradedAt: source.upgradedAt, pacing: settings.pacing)
            self.init(reference: source.reference, steps: steps, epoch: source.epoch, issued: source.issued, classifier: settings.classifier)
        }

        init(reference: RecordedReference, steps: [SessionScript.Step], epoch: Double, issued: [(at: Double, value: String)], classifier: AuthClassifier) {
            self.reference = reference
            self.epoch = epoch
            self.steps = steps
            var expected: [Int: ExpectedMessage] = [:]
            for (i, step) in steps.enumerated() {
                guard case .expect(let message) = step else { continue }
                let shape = MessageShape(message, locator: classifier.locator)
                let moment = epoch + message.at
                let issuedBefore = Set(issued.lazy.filter { $0.at <= message.at }.map(\.value))
                let authClass = classifier.classify(shape.auth, issued: issuedBefore, at: moment)
                expected[i] = ExpectedMessage(shape: shape, authClass: authClass, moment: moment)
            }
            self.expected = expected
        }

        /// The step at `position`; a script always ends in `.cut` or `.finish`, which stays.
        func step(at position: Int) -> SessionScript.Step {
            steps[min(position, steps.count - 1)]
        }

        /// True when, after the client message at `position`, the recorded
        /// server only sent data frames and then closed with an error code.
        func rejects(after position: Int) -> Bool {
            for step in steps.dropFirst(position + 1) {
                switch step {
                case .send(let message, _) where message.opcode == .close:
                    guard let code = message.closeCode else { return false }
                    return code != 1000 && code != 1001
                case .send:
                    continue
                case .expect, .cut, .finish:
                    return false
                }
            }
            return false
        }
    }
}
