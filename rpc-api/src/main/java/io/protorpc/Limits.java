package io.protorpc;

/**
 * The size and count limits one endpoint enforces on what it receives. Frames may be at most
 * {@code maxMessageSize + maxHeaderSize} bytes, so a full-size message still fits with its header.
 */
record Limits(int maxMessageSize, int maxHeaderSize, int maxCallsInFlight) {
  static final int DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
  static final int DEFAULT_MAX_HEADER_SIZE = 64 * 1024;
  static final int DEFAULT_MAX_CALLS_IN_FLIGHT = 1024;

  static Limits defaults() {
    return new Limits(DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_HEADER_SIZE,
        DEFAULT_MAX_CALLS_IN_FLIGHT);
  }

  Limits {
    require(maxMessageSize >= 0, "maxMessageSize must be >= 0");
    require(maxHeaderSize >= 64, "maxHeaderSize must be >= 64");
    require(maxCallsInFlight >= 1, "maxCallsInFlight must be >= 1");
    require((long) maxMessageSize + maxHeaderSize <= Integer.MAX_VALUE - 8,
        "maxMessageSize + maxHeaderSize must fit in a frame (< 2 GiB)");
  }

  int maxFrameSize() {
    return maxMessageSize + maxHeaderSize;
  }

  Limits withMaxMessageSize(int v) {
    return new Limits(v, maxHeaderSize, maxCallsInFlight);
  }

  Limits withMaxHeaderSize(int v) {
    return new Limits(maxMessageSize, v, maxCallsInFlight);
  }

  Limits withMaxCallsInFlight(int v) {
    return new Limits(maxMessageSize, maxHeaderSize, v);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
