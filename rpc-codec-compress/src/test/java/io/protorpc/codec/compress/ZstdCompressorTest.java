package io.protorpc.codec.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZstdCompressorTest {
  private static final ZstdDictionary ORDERS = ZstdDictionary.train(Samples.orders(2000, 1), 8192);
  private static final ZstdDictionary LOGS = ZstdDictionary.train(Samples.logLines(2000, 2), 8192);

  @Test
  void dictionaryFromAnotherTrainingHasAnotherId() {
    assertNotEquals(ORDERS.id(), LOGS.id());
    assertTrue(ORDERS.size() <= 8192);
    assertEquals(ORDERS, ZstdDictionary.of(ORDERS.bytes()));
  }

  @Test
  void frameCompressedWithOneDictionaryIsRefusedBySideWithAnother() throws Exception {
    ZstdCompressor a = new ZstdCompressor(3, ORDERS);
    ZstdCompressor b = new ZstdCompressor(3, LOGS);
    ByteBuffer frame = a.compress(ByteBuffer.wrap(Samples.orders(1, 99).get(0)));
    ProtocolException e = assertThrows(ProtocolException.class, () -> b.decompress(frame, 1 << 20));
    assertFalse(e instanceof LimitExceededException);
    assertTrue(e.getMessage().contains(String.valueOf(ORDERS.id()))
        && e.getMessage().contains(String.valueOf(LOGS.id())), e.getMessage());
  }

  @Test
  void frameCompressedWithADictionaryIsRefusedBySideWithout() throws Exception {
    ByteBuffer frame = new ZstdCompressor(3, ORDERS)
        .compress(ByteBuffer.wrap(Samples.orders(1, 99).get(0)));
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> new ZstdCompressor().decompress(frame, 1 << 20));
    assertTrue(e.getMessage().contains(String.valueOf(ORDERS.id())), e.getMessage());
    assertTrue(e.getMessage().contains("no zstd dictionary"), e.getMessage());
  }

  @Test
  void sideWithADictionaryStillReadsFramesWithout() throws Exception {
    byte[] message = Samples.orders(1, 5).get(0);
    ByteBuffer plain = new ZstdCompressor().compress(ByteBuffer.wrap(message));
    assertArrayEquals(message, bytes(new ZstdCompressor(3, ORDERS).decompress(plain, 1 << 20)));
  }

  @Test
  void dictionaryMakesSmallMessagesSmaller() throws Exception {
    byte[] message = Samples.orders(1, 12345).get(0);
    int plain = new ZstdCompressor().compress(ByteBuffer.wrap(message)).remaining();
    ZstdCompressor withDictionary = new ZstdCompressor(3, ORDERS);
    ByteBuffer frame = withDictionary.compress(ByteBuffer.wrap(message));
    assertTrue(frame.remaining() < plain * 3 / 4, frame.remaining() + " vs " + plain
        + " bytes for a " + message.length + "-byte message");
    assertEquals(ORDERS.id(), ZstdFrameHeader.read(frame).dictionaryId(), "the frame carries the id");
    assertArrayEquals(message, bytes(withDictionary.decompress(frame, message.length)));
  }

  @Test
  void levelIsValidated() {
    assertEquals(3, new ZstdCompressor().level());
    assertEquals(ZstdCompressor.maxLevel(), new ZstdCompressor(ZstdCompressor.maxLevel()).level());
    assertEquals(-5, new ZstdCompressor(-5).level());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ZstdCompressor(ZstdCompressor.maxLevel() + 1));
    assertTrue(e.getMessage().contains(String.valueOf(ZstdCompressor.maxLevel())), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new ZstdCompressor(ZstdCompressor.minLevel() - 1));
  }

  @Test
  void framesDeclareTheirContentSize() throws Exception {
    ZstdCompressor zstd = new ZstdCompressor();
    for (ByteBuffer input : List.of(ByteBuffer.wrap(new byte[5000]),
        ByteBuffer.allocateDirect(5000), ByteBuffer.wrap(new byte[5000]).asReadOnlyBuffer())) {
      assertEquals(5000, ZstdFrameHeader.read(zstd.compress(input)).contentSize(), "" + input);
    }
  }

  @Test
  void declaredSizeAboveTheLimitIsRefusedFromTheHeader() throws Exception {
    byte[] frame = Bombs.zstd(64L << 20, true);
    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> new ZstdCompressor().decompress(ByteBuffer.wrap(frame), 1 << 20));
    assertTrue(e.getMessage().contains(String.valueOf(64L << 20))
        && e.getMessage().contains(String.valueOf(1 << 20)), e.getMessage());
  }

  /**
   * A frame that declares less content than it holds would need a bigger buffer than the one its
   * header asked for: refused as a limit (RESOURCE_EXHAUSTED on a call), not as a corrupt frame.
   */
  @Test
  void frameThatUnderstatesItsContentSizeIsRefusedAsALimit() throws Exception {
    for (byte[] frame : List.of(Bombs.zstd(4 << 20, true),
        bytes(new ZstdCompressor().compress(ByteBuffer.wrap(new byte[70_000]))))) {
      byte[] understated = Bombs.declaringContentSize(frame, 1000);
      assertEquals(1000, ZstdFrameHeader.read(ByteBuffer.wrap(understated)).contentSize());
      LimitExceededException e = assertThrows(LimitExceededException.class,
          () -> new ZstdCompressor().decompress(ByteBuffer.wrap(understated), 4 << 20));
      assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }
  }

  /** Frames from a streaming encoder carry no size; the bounded streaming decoder handles them. */
  @Test
  void framesWithoutDeclaredSize() throws Exception {
    ZstdCompressor zstd = new ZstdCompressor();
    Random random = new Random(3);
    for (int size : new int[] {0, 1, 1000, 65_536, 300_000}) {
      byte[] original = new byte[size];
      for (int i = 0; i < size; i++) {
        original[i] = (byte) ('a' + random.nextInt(random.nextInt(26) + 1));
      }
      byte[] frame = streamingFrame(original);
      assertFalse(ZstdFrameHeader.read(ByteBuffer.wrap(frame)).contentSizeKnown());
      for (ByteBuffer in : List.of(ByteBuffer.wrap(frame), direct(frame))) {
        assertArrayEquals(original, bytes(zstd.decompress(in, size)), size + " bytes");
        if (size > 0) {
          assertThrows(LimitExceededException.class, () -> zstd.decompress(in, size - 1));
        }
        assertEquals(0, in.position());
      }
      assertThrows(ProtocolException.class, () -> zstd.decompress(
          ByteBuffer.wrap(Arrays.copyOf(frame, frame.length - 1)), size));
      byte[] trailing = Arrays.copyOf(frame, frame.length + 1);
      ProtocolException e = assertThrows(ProtocolException.class,
          () -> zstd.decompress(ByteBuffer.wrap(trailing), size + 10));
      assertTrue(e.getMessage().contains("after the end"), e.getMessage());
    }
  }

  @Test
  void undeclaredSizeWithAHugeWindowIsRefused() {
    // magic, descriptor 0 (window descriptor follows, no size, no dictionary), window 2^31
    byte[] header = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 0x00, (byte) (21 << 3), 0, 0, 0};
    LimitExceededException e = assertThrows(LimitExceededException.class,
        () -> new ZstdCompressor().decompress(ByteBuffer.wrap(header), 1 << 20));
    assertTrue(e.getMessage().contains("window"), e.getMessage());
  }

  @Test
  void notZstdIsAClearProtocolError() {
    ProtocolException e = assertThrows(ProtocolException.class, () -> new ZstdCompressor()
        .decompress(ByteBuffer.wrap("hello, world".getBytes(StandardCharsets.US_ASCII)), 100));
    assertTrue(e.getMessage().contains("not a zstd frame"), e.getMessage());
  }

  @Test
  void unavailableNativeLibraryIsReportedNotThrown() {
    Optional<String> reason = ZstdCompressor.NativeLibrary.probe(() -> {
      throw new UnsatisfiedLinkError("no zstd-jni in java.library.path");
    });
    assertTrue(reason.isPresent());
    assertTrue(reason.get().contains("no zstd-jni in java.library.path"), reason.get());
    assertTrue(ZstdCompressor.NativeLibrary.probe(() -> { }).isEmpty());
    assertTrue(new ZstdCompressor().isAvailable(), () -> "" + new ZstdCompressor()
        .unavailableReason());
  }

  private static byte[] streamingFrame(byte[] original) {
    try (ZstdCompressCtx ctx = new ZstdCompressCtx()) {
      ByteBuffer src = ByteBuffer.wrap(original);
      ByteBuffer dst = ByteBuffer.allocate(original.length + 1024);
      // CONTINUE first: the encoder cannot know the size, so the frame does not declare it
      ctx.compressByteBufferStream(dst, src, EndDirective.CONTINUE);
      while (!ctx.compressByteBufferStream(dst, src, EndDirective.END)) {
        // the destination is large enough; loop until the frame is complete
      }
      return Arrays.copyOf(dst.array(), dst.position());
    }
  }

  private static ByteBuffer direct(byte[] b) {
    return ByteBuffer.allocateDirect(b.length).put(b).flip();
  }

  static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }
}
