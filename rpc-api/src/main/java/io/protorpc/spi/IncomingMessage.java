package io.protorpc.spi;

import java.nio.ByteBuffer;

/**
 * One message a {@link MessagePort} received: the codec-encoded envelope and where to send its
 * reply. Settle it once: {@link #settle()} when done with it, {@link #reject} when it is unusable.
 * A message never settled goes back to the broker when the port closes or loses its connection.
 * Thread-safe.
 */
public interface IncomingMessage {

  /** The codec-encoded envelope; the core's to keep. */
  ByteBuffer body();

  /** The name of the codec that encoded the body, or empty when the sender did not say. */
  String codec();

  /** Where a reply goes ({@link OutgoingMessage#replyTo()}), or empty when none is expected. */
  String replyTo();

  /** Whether the broker delivered this message before (to a consumer that did not settle it). */
  boolean redelivered();

  /** A description of where it came from, for logs and {@code ServerController.remoteAddress()}. */
  String origin();

  /** Done with the message: the broker forgets it. Later calls are ignored. */
  void settle();

  /**
   * The message is unusable (garbage, too large, from an unknown codec...): the broker discards
   * it, never delivering it again, and the transport logs {@code reason}. Later calls are ignored.
   */
  void reject(String reason);
}
