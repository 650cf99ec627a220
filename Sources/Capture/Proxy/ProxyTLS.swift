import ConnectionGuards
import NIOSSL
import TrafficModel

/// The TLS contexts the proxy needs, built once at start so a bad file fails
/// the start instead of the first connection.
enum ProxyTLS {
    static func upstreamContext(_ configuration: RecordingProxy.Configuration) throws(CaptureError) -> NIOSSLContext? {
        guard configuration.upstream.isTLS else { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.applicationProtocols = ["http/1.1"]
        if let caFile = configuration.upstreamTLS.caFile {
            do {
                tls.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(caFile))]
            } catch {
                throw CaptureError(.tlsConfiguration, "--ca-file \(caFile): cannot read a PEM certificate: \(error)")
            }
        }
        if configuration.upstreamTLS.insecure { tls.certificateVerification = .none }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw CaptureError(.tlsConfiguration, "cannot set up TLS to the upstream: \(error)")
        }
    }

    static func clientContext(_ configuration: RecordingProxy.Configuration) throws(CaptureError) -> NIOSSLContext? {
        guard let files = configuration.clientTLS else { return nil }
        do {
            return try files.context()
        } catch {
            throw CaptureError(.tlsConfiguration, error.description)
        }
    }
}
