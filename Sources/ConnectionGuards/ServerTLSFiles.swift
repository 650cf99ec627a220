public import NIOSSL

/// A PEM certificate chain and private key for the servers that speak TLS
/// to clients (the recording proxy's `--tls-cert`, the mock's `serve
/// --tls-cert`), loaded once at start so a bad file fails the start instead
/// of the first connection. HTTP/1.1 is the only protocol offered by ALPN:
/// both servers speak it (and WebSocket over it) only.
public struct ServerTLSFiles: Hashable, Sendable {
    public var certificateFile: String
    public var keyFile: String

    public init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// The server context, or a one-line reason naming the files.
    public func context() throws(ServerTLSError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ServerTLSError(description: "--tls-cert \(certificateFile): cannot read a PEM certificate: \(error)")
        }
        guard !chain.isEmpty else { throw ServerTLSError(description: "--tls-cert \(certificateFile): no certificate in the file") }
        do {
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            tls.applicationProtocols = ["http/1.1"]
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ServerTLSError(description: "--tls-cert \(certificateFile) / --tls-key \(keyFile): \(error)")
        }
    }
}

/// Why the TLS files could not be used.
public struct ServerTLSError: Error, CustomStringConvertible {
    public var description: String
}
