package io.protorpc.spi;

/**
 * Input that is well formed so far but larger than a configured limit (frame size, decompressed
 * size, header size). Thrown before the oversize buffer is allocated. Maps to the {@code
 * RESOURCE_EXHAUSTED} status.
 */
public class LimitExceededException extends ProtocolException {
  private static final long serialVersionUID = 1L;

  public LimitExceededException(String message) {
    super(message);
  }
}
