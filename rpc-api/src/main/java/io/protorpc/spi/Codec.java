package io.protorpc.spi;

import java.nio.ByteBuffer;

/**
 * Turns an {@link Envelope} (call header plus payload) into frame bytes and back (built in with
 * rpc-codec-protobuf: {@code "protobuf"}). Thread-safe.
 */
public interface Codec extends Plugin {

  /**
   * Encodes the envelope as the parts of one frame. The payload should be passed through as a
   * part of its own rather than copied; the payload's position is left unchanged.
   */
  ByteBuffer[] encode(Envelope envelope);

  /**
   * Decodes one frame. The returned envelope's payload may share {@code frame}'s content.
   *
   * @param maxHeaderSize the largest encoded call header accepted, in bytes (the header itself,
   *     not counting a length prefix the codec puts before it)
   * @throws LimitExceededException if the header is larger than {@code maxHeaderSize}
   * @throws ProtocolException if the frame is not a valid envelope
   */
  Envelope decode(ByteBuffer frame, int maxHeaderSize) throws ProtocolException;
}
