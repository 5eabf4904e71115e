package io.protorpc.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IdentityCompressorTest {
  private final Compressor compressor = new IdentityCompressor();

  private static List<ByteBuffer> inputs() {
    byte[] random = new byte[5000];
    new Random(1).nextBytes(random);
    ByteBuffer direct = ByteBuffer.allocateDirect(100);
    direct.put(random, 0, 100).position(10).limit(90);
    return List.of(ByteBuffer.allocate(0), ByteBuffer.wrap(random),
        ByteBuffer.wrap(random, 7, 300), direct, ByteBuffer.wrap(random).asReadOnlyBuffer());
  }

  @Test
  void hasTheNameIdentityAndIsRegistered() {
    assertEquals("identity", compressor.name());
    assertInstanceOf(IdentityCompressor.class, PluginRegistry.find(Compressor.class, "identity"));
  }

  @Test
  void roundTripsAndLeavesInputPositionsUnchanged() throws IOException {
    for (ByteBuffer input : inputs()) {
      int position = input.position();
      int limit = input.limit();
      byte[] original = AbstractFramingTest.bytes(input);

      ByteBuffer compressed = compressor.compress(input);
      assertEquals(position, input.position());
      assertEquals(limit, input.limit());
      assertArrayEquals(original, AbstractFramingTest.bytes(compressed));

      ByteBuffer decompressed = compressor.decompress(compressed, original.length);
      assertEquals(original.length, compressed.remaining(), "decompress moved its input");
      assertArrayEquals(original, AbstractFramingTest.bytes(decompressed));
    }
  }

  @Test
  void decompressAcceptsExactlyTheLimit() throws IOException {
    ByteBuffer input = ByteBuffer.wrap(new byte[1000]);
    assertEquals(1000, compressor.decompress(input, 1000).remaining());
    assertEquals(0, compressor.decompress(ByteBuffer.allocate(0), 0).remaining());
  }

  @Test
  void decompressRefusesOutputOverTheLimit() {
    ByteBuffer input = ByteBuffer.wrap(new byte[1001], 0, 1001);
    LimitExceededException e =
        assertThrows(LimitExceededException.class, () -> compressor.decompress(input, 1000));
    assertTrue(e.getMessage().contains("1000"), e.getMessage());
    assertTrue(e.getMessage().contains("1001"), e.getMessage());
    assertEquals(0, input.position());
  }
}
