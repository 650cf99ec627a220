import NIOCore
import NIOSSL
// TLSUserEvent (the handshake's end); NIOSSL's own dependency.
import NIOTLS
import TrafficModel

/// How connections to an `https://` target check the server's certificate:
/// the system trust roots, plus the CA certificates of `caFile` (a staging
/// CA), or not at all (`insecure`). The TLS context is built once, so a bad
/// file fails before any session runs.
public struct ReplayTLS: Sendable {
    public let caFile: String?
    public let insecure: Bool
    let context: NIOSSLContext

    public init(caFile: String? = nil, insecure: Bool = false) throws(ReplayError) {
        self.caFile = caFile
        self.insecure = insecure
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ReplayError(.tlsConfiguration, "--ca-file \(caFile): cannot read a PEM certificate: \(error)")
            }
            guard !certificates.isEmpty else { throw ReplayError(.tlsConfiguration, "--ca-file \(caFile): no certificate in the file") }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        if insecure { configuration.certificateVerification = .none }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ReplayError(.tlsConfiguration, "cannot set up TLS: \(error)")
        }
    }

    /// The client handler for one connection. SNI names the target host;
    /// an IP address cannot be an SNI name (RFC 6066 §3), and the certificate
    /// is then checked against the address.
    func handler(for target: ReplayTarget) throws -> NIOSSLClientHandler {
        let isIP = (try? SocketAddress(ipAddress: target.host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isIP ? nil : target.host)
    }

    /// The peer ended the TCP connection without a TLS close_notify. Many
    /// servers do; it is judged like any dropped connection (the inactive
    /// channel that follows), not as a failure.
    static func isUncleanShutdown(_ error: Error) -> Bool {
        if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl { return true }
        return false
    }

    /// A user-facing reason for a TLS failure, nil for other errors.
    static func describe(_ error: Error) -> String? {
        if let replay = error as? ReplayError, replay.code == .tlsHandshakeTimeout { return "\(replay)" }
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname {
                return "TLS handshake failed: the certificate does not name the target host (\(extra)); --insecure skips the check"
            }
            return "TLS failed: \(extra)"
        }
        guard let ssl = error as? NIOSSLError else { return nil }
        let text = "\(ssl)"
        switch ssl {
        case .handshakeFailed:
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "TLS handshake failed: the target's certificate is not trusted (certificate verify failed); "
                    + "--ca-file PEM trusts a staging CA, --insecure skips the check"
            }
            if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
                return "TLS handshake failed: the target does not speak TLS (is it an http:// target?)"
            }
            return "TLS handshake failed: \(text)"
        case .uncleanShutdown:
            return "the target closed the TLS connection without a TLS close (unclean shutdown)"
        default:
            return "TLS failed: \(text)"
        }
    }
}

/// Completes `done` when the TLS handshake finished, fails it with the
/// handshake's error, the connection's end or a timeout, so that the connect
/// step reports a certificate problem instead of the first request, and never
/// waits longer than the step timeout. Sits right behind the TLS handler and
/// removes itself once the handshake is done.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let done: EventLoopPromise<Void>
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var settled = false

    init(done: EventLoopPromise<Void>, timeout: TimeAmount) {
        self.done = done
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        let seconds = Double(timeout.nanoseconds) / 1e9
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            settle(.failure(ReplayError.tlsHandshakeTimeout(seconds: seconds)))
            context.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            settle(.success(()))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        settle(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.failure(ReplayError.tlsClosedDuringHandshake))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        settle(.failure(ReplayError.tlsClosedDuringHandshake))
    }

    /// The first outcome wins; later ones (the close after an error) are dropped.
    private func settle(_ result: Result<Void, Error>) {
        timer?.cancel()
        timer = nil
        guard !settled else { return }
        settled = true
        done.completeWith(result)
    }
}
