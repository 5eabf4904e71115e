package io.protorpc.spi;

import java.io.IOException;

/**
 * Input that breaks the protocol: corrupt framing, an unparseable header, a bad preface. The
 * connection it arrived on cannot be trusted any more and is closed; other connections carry on.
 */
public class ProtocolException extends IOException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
