@testable import TrafficModel
import XCTest

/// Credentials inside WebSocket messages, at the known shapes only.
final class MessageCredentialTests: XCTestCase {
    private let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"

    private func found(_ text: String) -> [String] {
        CredentialLocator.default.presented(inMessage: .text(text)).map { "\($0.credential.location)=\($0.credential.value)" }
    }

    func testAuthMessagesGraphQLInitAndSocketIOConnectCarryCredentials() {
        XCTAssertEqual(found(#"{"type":"auth","token":"\#(jwt)"}"#), ["message:$.token=\(jwt)"])
        XCTAssertEqual(found(#"{"type":"auth","access_token":"opaque-0123456789"}"#), ["message:$.access_token=opaque-0123456789"])
        XCTAssertEqual(found(#"{"type":"connection_init","payload":{"Authorization":"Bearer \#(jwt)"}}"#), ["message:$.payload.Authorization=\(jwt)"])
        XCTAssertEqual(found(#"{"type":"connection_init","payload":{"headers":{"authorization":"Bearer \#(jwt)"}}}"#), ["message:$.payload.headers.authorization=\(jwt)"])
        XCTAssertEqual(found(#"40{"token":"\#(jwt)"}"#), ["message:40$.token=\(jwt)"])
        XCTAssertEqual(found(#"40/chat,{"token":"\#(jwt)"}"#), ["message:40/chat,$.token=\(jwt)"])
    }

    func testOtherPlacesAndValuesAreNotCredentials() {
        XCTAssertEqual(found(#"{"type":"auth","auth":"yes"}"#), [], "too short to be a token")
        XCTAssertEqual(found(#"{"type":"auth","token":""}"#), [])
        XCTAssertEqual(found(#"{"type":"message","data":{"token":"\#(jwt)"}}"#), [], "nested data is not an auth shape")
        XCTAssertEqual(found(#"{"type":"subscribe","payload":{"token":"\#(jwt)"}}"#), [], "payload only for connection_init")
        XCTAssertEqual(found(#"42["auth",{"token":"\#(jwt)"}]"#), [], "Socket.IO events are data")
        XCTAssertEqual(found("hello"), [])
    }

    /// The pre-scan that spares parsing messages that cannot name a credential
    /// finds every spelling the parser would: any case, escaped names, non-ASCII.
    func testMessagesThatMayNameACredentialAreStillParsed() {
        XCTAssertEqual(found(#"{"type":"auth","TOKEN":"\#(jwt)"}"#), ["message:$.TOKEN=\(jwt)"])
        XCTAssertEqual(found(#"{"type":"x","Access_Token":"opaque-0123456789"}"#), ["message:$.Access_Token=opaque-0123456789"])
        XCTAssertEqual(found(#"{"type":"x","\u0074oken":"opaque-0123456789"}"#), ["message:$.token=opaque-0123456789"], "an escaped name")
        XCTAssertEqual(found("{\"type\":\"x\",\"to\u{212A}en\":\"opaque-0123456789\"}"), ["message:$.to\u{212A}en=opaque-0123456789"], "the Kelvin sign lowercases to k")
        XCTAssertEqual(found(#"{"type":"x","body":"\#(String(repeating: "x", count: 70_000))","auth":"opaque-0123456789"}"#), ["message:$.auth=opaque-0123456789"], "after a long string")
        XCTAssertEqual(found(#"40/chat,{"Bearer":"opaque-0123456789"}"#), ["message:40/chat,$.Bearer=opaque-0123456789"])
        XCTAssertFalse(CredentialLocator.mayNameCredential(.text(#"{"type":"user_message","body":"xxxxxxxx"}"#)))
        XCTAssertFalse(CredentialLocator.mayNameCredential(.binary(Array("token".utf8))))
    }

    func testTheDocumentAfterAPacketPrefixIsFound() {
        XCTAssertEqual(CredentialLocator.messageDocument(.text(#"421["ev",1]"#))?.prefix, "421")
        XCTAssertEqual(CredentialLocator.messageDocument(.text(#"42/ns,7["ev"]"#))?.prefix, "42/ns,7")
        XCTAssertEqual(CredentialLocator.messageDocument(.text(#"{"a":1}"#))?.prefix, "")
        XCTAssertNil(CredentialLocator.messageDocument(.text("3probe")))
    }
}
