package io.protorpc.testkit.broken;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import java.nio.ByteBuffer;

/**
 * A framing whose declarations {@code PluginDeclarationsTest} varies: it loads a copy of this
 * class alone, from a directory or module with or without each declaration. Only its class is
 * looked at, so it frames nothing.
 */
public final class PlainFraming implements Framing {
  public PlainFraming() {}

  @Override
  public String name() {
    return "plain";
  }

  @Override
  public ByteBuffer[] encode(ByteBuffer... parts) {
    throw new UnsupportedOperationException("only its declarations are tested");
  }

  @Override
  public FrameDecoder newDecoder(int maxFrameSize) {
    throw new UnsupportedOperationException("only its declarations are tested");
  }
}
