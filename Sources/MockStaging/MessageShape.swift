import TrafficModel
import Wire

/// A client WebSocket message reduced to what session selection compares:
/// the payload with its credentials masked, and the credentials themselves,
/// which are compared by auth class (like a header credential), not by value.
struct MessageShape: Hashable, Sendable {
    /// What a credential's string is replaced with before payloads are compared.
    static let placeholder = "<credential>"

    /// The message as received (after redaction, for a redacted recording).
    var message: WebSocketMessage
    /// The message with every credential string replaced by `placeholder`.
    var masked: WebSocketMessage
    var credentials: [CredentialLocator.MessageCredential]
    /// A Socket.IO ack id (`421[…]`): left out of `masked`, so a client that
    /// numbers its acks otherwise still matches; the tree answers under its id.
    var ackID: Int?

    /// The credentials as a request's are judged (parsed once, here).
    let auth: PresentedAuth

    init(_ message: WebSocketMessage, locator: CredentialLocator) {
        self.message = message
        let found = message.opcode == .close ? [] : locator.presented(inMessage: message.payload)
        credentials = found
        auth = PresentedAuth(credentials: found.map(\.credential))
        masked = message
        if !found.isEmpty, let (prefix, json) = CredentialLocator.messageDocument(message.payload) {
            var document = json
            for credential in found { document = Self.replacing(credential.path[...], in: document) }
            masked.payload = .text(prefix + JSONWriter.compact(document))
        }
        if message.opcode == .text, case .text(let text) = masked.payload, let found = SocketIOPacket.ackID(inEngineIOMessage: text) {
            ackID = found.id
            masked.payload = .text(SocketIOPacket.removingAckID(inEngineIOMessage: text))
        }
    }

    private static func replacing(_ path: ArraySlice<String>, in value: JSONValue) -> JSONValue {
        guard let key = path.first, case .object(let members) = value else { return .string(placeholder) }
        return .object(members.map { $0.0 == key ? ($0.0, replacing(path.dropFirst(), in: $0.1)) : $0 })
    }

    /// How a live message compares with a recorded one.
    struct Comparison: Hashable, Sendable {
        var differences: [String]
        /// The live message carried the recorded credential itself (wins over class, as for headers).
        var exactCredential: Bool
        /// Lower is nearer; a credential of the wrong class weighs more than a payload member.
        var distance: Int
    }

    /// Compares this live message with `recorded`, the credentials by class:
    /// `liveClass` judged with this run's issued tokens, `recordedClass` with
    /// the recording's. With `exact`, payloads (credentials included) are
    /// compared byte for byte.
    /// - Parameter standIn: a live class may stand in for the recorded one
    ///   (`AuthClass.standsIn`); asked for only when no candidate has the live class itself.
    func compare(with recorded: MessageShape, recordedClass: AuthClass, liveClass: AuthClass, exact: Bool, standIn: Bool = false) -> Comparison {
        let liveValues = auth.values
        let exactCredential = !liveValues.isEmpty && !recorded.auth.values.isDisjoint(with: liveValues)
        guard recorded.message.opcode == message.opcode else {
            return Comparison(differences: ["opcode: expected \(recorded.message.opcode.rawValue), got \(message.opcode.rawValue)"], exactCredential: false, distance: 4)
        }
        if exact {
            let differences = PayloadMatch.messageDifferences(expected: recorded.message.payload, actual: message.payload, exact: true)
            return Comparison(differences: differences, exactCredential: exactCredential, distance: differences.count)
        }
        var differences = PayloadMatch.messageDifferences(expected: recorded.masked.payload, actual: masked.payload, exact: false)
        var distance = differences.count
        if !exactCredential {
            if standIn ? !liveClass.standsIn(for: recordedClass) : recordedClass != liveClass {
                differences.append("message credential: auth class expected \(recordedClass.rawValue), got \(liveClass.rawValue)")
                distance += 2
            } else if let recordedSubject = recorded.auth.subject, let liveSubject = auth.subject, recordedSubject != liveSubject {
                differences.append(#"message credential: JWT sub expected "\#(recordedSubject)", got "\#(liveSubject)""#)
                distance += 2
            }
        }
        return Comparison(differences: differences, exactCredential: exactCredential, distance: distance)
    }
}
