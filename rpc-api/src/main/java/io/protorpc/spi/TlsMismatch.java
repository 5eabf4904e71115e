package io.protorpc.spi;

import java.net.SocketAddress;
import javax.net.ssl.SSLException;

/**
 * What a transport reports when one side of a connection uses TLS and the other does not, so that
 * every transport says it the same way. The other two cases need nothing from a transport: the
 * core recognizes a TLS record where it expects the protorpc preface (a TLS client on a plaintext
 * port, or a TLS server answering a plaintext client) and says so itself.
 *
 * <p>A transport's TLS server that receives something other than a TLS handshake should also
 * answer with a TLS alert before closing (the JDK's {@code SSLSocket} does), so that a plaintext
 * client reads a TLS record and the core can tell its user that the server uses TLS.
 */
public final class TlsMismatch {
  /**
   * A fatal {@code unexpected_message} alert record (TLS 1.2 record version), which a TLS server
   * may write, in the clear, to a peer that sent no TLS handshake.
   */
  private static final byte[] ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0A};

  private TlsMismatch() {}

  /**
   * A TLS client's handshake got an answer that is not TLS.
   *
   * @param server the address connected to
   * @param cause the TLS layer's own error
   */
  public static SSLException plaintextServer(SocketAddress server, Throwable cause) {
    return new SSLException("server at " + server + " answered plaintext to a TLS handshake (is"
        + " the server using TLS?)", cause);
  }

  /**
   * A TLS server got something other than a TLS handshake from a client.
   *
   * @param client the client's address
   * @param cause the TLS layer's own error
   */
  public static SSLException plaintextClient(SocketAddress client, Throwable cause) {
    return new SSLException("client at " + client + " sent plaintext, not a TLS handshake, to"
        + " this TLS port (is the client using TLS?)", cause);
  }

  /** The alert a TLS server writes, unencrypted, to a client that sent no TLS handshake. */
  public static byte[] alert() {
    return ALERT.clone();
  }

  /**
   * Whether {@code firstByte}, a connection's first inbound byte, can begin a TLS handshake (a
   * record of content type 22); anything else on a TLS port is a plaintext peer.
   */
  public static boolean startsHandshake(byte firstByte) {
    return firstByte == 0x16;
  }
}
