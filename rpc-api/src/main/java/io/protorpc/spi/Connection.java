package io.protorpc.spi;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * One open byte stream, as a {@link Transport} gives it to the core.
 *
 * <p>Thread-safety: {@link #write} may be called from many threads at once; each call's buffers
 * go out contiguously, never interleaved with another call's. Lifecycle: open from creation until
 * {@link #close()} or a failure, after which the transport calls {@link
 * ConnectionHandler#onClosed} exactly once.
 */
public interface Connection {

  /**
   * Writes the remaining bytes of {@code buffers}, in order, as one unit. May block the caller
   * while the peer is slow to read (backpressure) but never buffers without bound. The buffers
   * must not be modified until the call returns; after that the transport no longer uses them.
   *
   * @throws IOException if the connection is closed or the write fails (the connection is then
   *     closed)
   */
  void write(ByteBuffer... buffers) throws IOException;

  /**
   * Stops reading from the peer ({@code true}) or reads again ({@code false}): the core's
   * backpressure, used while this connection holds too much of the endpoint's memory budget.
   * Bytes already read may still be delivered after a pause; the peer's bytes then wait in the
   * kernel and, once its buffers are full, the peer's writes block. May be called from any thread;
   * the last call wins. Writes and {@link #close()} work as usual while paused.
   *
   * <p>The default does nothing: a transport without it keeps reading, and the core then bounds
   * its memory only by refusing new calls and closing the connections that hold the most.
   */
  default void pauseReading(boolean paused) {}

  /** Closes the connection; idempotent. Buffered writes are flushed where that cannot block long. */
  void close();

  /** True until the connection is closed or has failed. */
  boolean isOpen();

  /** The peer's address. */
  SocketAddress remoteAddress();

  /** This side's address. */
  SocketAddress localAddress();

  /**
   * The TLS session once its handshake is complete, or empty for a plaintext connection (or
   * before the handshake). Servers use it for the peer's certificate.
   */
  default Optional<SSLSession> sslSession() {
    return Optional.empty();
  }
}
