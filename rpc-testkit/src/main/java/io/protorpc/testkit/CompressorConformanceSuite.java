package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link Compressor} must do: round trips of every size and kind of buffer with the
 * input left untouched, the output limit honoured to the byte, corrupt input refused with {@link
 * ProtocolException} (never another exception, never a hang), correct results from many threads
 * at once, and, for compressors that can make one, a decompression bomb refused quickly without
 * allocating its claimed size.
 *
 * <p>Extend it in your compressor's tests and implement {@link #compressor()}; override {@link
 * #bomb} if your format can express a large output in little input. The suite runs under {@code
 * -Xmx1g} in protorpc's builds, so a decoder that allocated a bomb's claimed size would fail.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class CompressorConformanceSuite extends RequiresJUnitPlatform {
  /** The limit the bomb is decompressed against, like a default max message size. */
  protected static final int BOMB_LIMIT = 4 << 20;
  /** The size the bomb claims to decompress to. */
  protected static final long BOMB_SIZE = 1L << 30;
  private static final int BIG_LIMIT = 16 << 20;
  private static final Duration CORRUPT_INPUT_BUDGET = Duration.ofSeconds(20);

  /** The compressor under test. */
  protected abstract Compressor compressor();

  /**
   * A compressed input that decompresses to {@code decompressedBytes} bytes (zeros, say), or null
   * if this compressor cannot make one cheaply; the bomb test is skipped then. Make it without
   * holding the decompressed bytes in memory (stream them through the encoder).
   */
  protected byte[] bomb(long decompressedBytes) throws Exception {
    return null;
  }

  /** Where the payload sits in the buffer handed to the compressor. */
  public enum BufferKind {
    /** A heap buffer whose payload starts at a non-zero position. */
    HEAP,
    /** A slice of a heap buffer: array offset non-zero, position 0. */
    HEAP_SLICE,
    /** A read-only heap buffer: no accessible array. */
    READ_ONLY,
    /** A direct buffer whose payload starts at a non-zero position. */
    DIRECT;

    /** {@code bytes} in a buffer of this kind, with unrelated bytes around them. */
    public ByteBuffer wrap(byte[] bytes) {
      int pad = 7;
      ByteBuffer b = this == DIRECT
          ? ByteBuffer.allocateDirect(bytes.length + 2 * pad)
          : ByteBuffer.allocate(bytes.length + 2 * pad);
      for (int i = 0; i < b.capacity(); i++) {
        b.put(i, (byte) 0x5A);
      }
      b.position(pad);
      b.put(bytes);
      b.position(pad).limit(pad + bytes.length);
      return switch (this) {
        case HEAP, DIRECT -> b;
        case HEAP_SLICE -> b.slice();
        case READ_ONLY -> b.asReadOnlyBuffer();
      };
    }
  }

  static Stream<Arguments> roundTripCases() {
    List<Arguments> cases = new ArrayList<>();
    for (int size : new int[] {0, 1, 100, 64 * 1024, 1 << 20}) {
      for (boolean compressible : new boolean[] {true, false}) {
        for (BufferKind kind : BufferKind.values()) {
          cases.add(Arguments.of(size, compressible, kind));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} bytes, compressible={1}, {2}")
  @MethodSource("roundTripCases")
  void roundTrip(int size, boolean compressible, BufferKind kind) throws Exception {
    byte[] original = compressible ? compressibleBytes(size, size) : randomBytes(size, size);
    ByteBuffer input = kind.wrap(original);
    int position = input.position();
    int limit = input.limit();

    ByteBuffer compressed = compressor().compress(input);
    assertEquals(position, input.position(), "compress moved the input's position");
    assertEquals(limit, input.limit(), "compress moved the input's limit");
    byte[] compressedBytes = toArray(compressed);
    if (compressible && size >= 64 * 1024 && !isIdentity()) {
      assertTrue(compressedBytes.length < size / 2, "compressible data of " + size
          + " bytes compressed to " + compressedBytes.length);
    }

    ByteBuffer packed = kind.wrap(compressedBytes);
    int packedPosition = packed.position();
    ByteBuffer restored = compressor().decompress(packed, size);
    assertEquals(packedPosition, packed.position(), "decompress moved the input's position");
    assertEquals(compressedBytes.length, packed.remaining(), "decompress moved the input's limit");
    assertArrayEquals(original, toArray(restored));
  }

  @Test
  void outputOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused() throws Exception {
    for (int size : new int[] {1, 1000, 64 * 1024}) {
      for (boolean compressible : new boolean[] {true, false}) {
        byte[] original = compressible ? compressibleBytes(size, 7) : randomBytes(size, 7);
        byte[] compressed = toArray(compressor().compress(ByteBuffer.wrap(original)));
        for (BufferKind kind : new BufferKind[] {BufferKind.HEAP, BufferKind.DIRECT}) {
          assertArrayEquals(original,
              toArray(compressor().decompress(kind.wrap(compressed), size)));
          LimitExceededException e = assertThrows(LimitExceededException.class,
              () -> compressor().decompress(kind.wrap(compressed), size - 1),
              size + " bytes decompressed with a limit of " + (size - 1));
          assertNotNull(e.getMessage());
          assertTrue(e.getMessage().contains(String.valueOf(size - 1)),
              "the message names the limit: " + e.getMessage());
        }
      }
    }
    byte[] empty = toArray(compressor().compress(ByteBuffer.allocate(0)));
    assertEquals(0, compressor().decompress(ByteBuffer.wrap(empty), 0).remaining());
  }

  @Test
  void randomBytesAreRefusedOrDecodedWithinTheLimit() {
    Random random = new Random(20240601);
    assertTimeoutPreemptively(CORRUPT_INPUT_BUDGET, () -> {
      for (int i = 0; i < 300; i++) {
        byte[] junk = new byte[random.nextInt(i < 20 ? 16 : 2048)];
        random.nextBytes(junk);
        decodeOrRefuse(junk, BufferKind.values()[i % BufferKind.values().length]);
      }
    });
  }

  @Test
  void truncatedInputIsRefusedOrDecodedWithinTheLimit() throws Exception {
    byte[] compressed = toArray(compressor().compress(
        ByteBuffer.wrap(compressibleBytes(8 * 1024, 3))));
    int step = Math.max(1, compressed.length / 100);
    assertTimeoutPreemptively(CORRUPT_INPUT_BUDGET, () -> {
      for (int length = 0; length < compressed.length; length += step) {
        decodeOrRefuse(java.util.Arrays.copyOf(compressed, length), BufferKind.HEAP);
      }
      for (int cut = 1; cut <= Math.min(16, compressed.length); cut++) {
        byte[] prefix = java.util.Arrays.copyOf(compressed, compressed.length - cut);
        decodeOrRefuse(prefix, BufferKind.DIRECT);
      }
    });
  }

  @Test
  void singleByteMutationsAreRefusedOrDecodedWithinTheLimit() throws Exception {
    Random random = new Random(7);
    List<byte[]> valid = List.of(
        toArray(compressor().compress(ByteBuffer.wrap(compressibleBytes(4 * 1024, 11)))),
        toArray(compressor().compress(ByteBuffer.wrap(randomBytes(300, 11)))));
    assertTimeoutPreemptively(CORRUPT_INPUT_BUDGET, () -> {
      for (int i = 0; i < 400; i++) {
        byte[] mutated = valid.get(i % valid.size()).clone();
        if (mutated.length == 0) {
          continue;
        }
        // Headers matter most: every third mutation hits the first 32 bytes.
        int at = random.nextInt(i % 3 == 0 ? Math.min(32, mutated.length) : mutated.length);
        mutated[at] ^= (byte) (1 + random.nextInt(255));
        decodeOrRefuse(mutated, i % 2 == 0 ? BufferKind.HEAP : BufferKind.DIRECT);
      }
    });
  }

  @Test
  void manyThreadsAtOnceAllGetCorrectResults() throws Exception {
    int threads = 8;
    int roundTrips = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long seed = 1000 + t;
        results.add(pool.submit(() -> {
          start.await();
          Random random = new Random(seed);
          for (int i = 0; i < roundTrips; i++) {
            int size = random.nextInt(i % 10 == 0 ? 16 * 1024 : 2 * 1024);
            byte[] original = random.nextBoolean()
                ? compressibleBytes(size, random.nextLong()) : randomBytes(size, random.nextLong());
            BufferKind kind = i % 2 == 0 ? BufferKind.HEAP : BufferKind.DIRECT;
            byte[] compressed = toArray(compressor().compress(kind.wrap(original)));
            byte[] restored = toArray(compressor().decompress(kind.wrap(compressed), size));
            assertArrayEquals(original, restored, "thread seed " + seed + ", round trip " + i);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : results) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void bombIsRefusedQuicklyWithoutAllocatingItsClaimedSize() throws Exception {
    byte[] bomb = bomb(BOMB_SIZE);
    assumeTrue(bomb != null, compressor().name() + " has no bomb to test with");
    assertTrue(bomb.length < BOMB_LIMIT, "the bomb is small: " + bomb.length + " bytes");
    for (BufferKind kind : new BufferKind[] {BufferKind.HEAP, BufferKind.DIRECT}) {
      ByteBuffer input = kind.wrap(bomb);
      LimitExceededException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
          () -> assertThrows(LimitExceededException.class,
              () -> compressor().decompress(input, BOMB_LIMIT)));
      assertTrue(e.getMessage().contains(String.valueOf(BOMB_LIMIT)),
          "the message names the limit: " + e.getMessage());
    }
  }

  /**
   * Decompression allocates for the output it produces, not for the limit it is given: a 1 KiB
   * message decompressed under a 16 MiB limit may allocate at most 16 times its size plus a fixed
   * allowance (heap buffers; direct buffers are off the heap and not counted).
   */
  @Test
  void decompressionMemoryFollowsTheOutputNotTheLimit() throws Exception {
    byte[] original = compressibleBytes(1024, 1024);
    byte[] compressed = toArray(compressor().compress(ByteBuffer.wrap(original)));
    long allocated = AllocationMeter.bytesAllocatedBy(() -> assertEquals(original.length,
        compressor().decompress(ByteBuffer.wrap(compressed), BIG_LIMIT).remaining()));
    long bound = 16L * original.length + AllocationMeter.SLACK;
    assertTrue(allocated <= bound, "decompressing " + original.length + " bytes under a limit of "
        + BIG_LIMIT + " allocated " + allocated + " bytes, over the bound of " + bound
        + ": allocate as output is produced, not the limit up front");
  }

  /**
   * Declared for ServiceLoader on both paths: in {@code META-INF/services} (class path) and, in a
   * named module, with {@code provides} (module path), whichever path this suite runs on.
   */
  @Test
  void isDeclaredWhereServiceLoaderLooks() {
    PluginDeclarations.assertDeclared(Compressor.class, compressor().getClass());
  }

  @Test
  void describesItself() {
    Compressor c = compressor();
    assertNotNull(c.name());
    assertFalse(c.name().isEmpty());
    assertEquals(c.name().toLowerCase(java.util.Locale.ROOT), c.name(), "names are lower case");
    assertTrue(c.isAvailable(), () -> "unavailable: " + c.unavailableReason());
  }

  /** Decoding corrupt input may succeed (not every format can tell) but must stay in bounds. */
  private void decodeOrRefuse(byte[] input, BufferKind kind) {
    ByteBuffer buffer = kind.wrap(input);
    try {
      ByteBuffer out = compressor().decompress(buffer, BIG_LIMIT);
      assertTrue(out.remaining() <= BIG_LIMIT, "output beyond the limit");
    } catch (ProtocolException expected) {
      assertNotNull(expected.getMessage(), "a refusal says why");
    } catch (Exception | Error e) {
      fail(compressor().name() + " threw " + e + " on corrupt input of " + input.length
          + " bytes; expected ProtocolException or LimitExceededException", e);
    }
  }

  private boolean isIdentity() {
    return compressor().name().equals("identity");
  }

  /** {@code size} bytes of text-like data: words, numbers and punctuation, as in messages. */
  protected static byte[] compressibleBytes(int size, long seed) {
    String[] words = {"id", "name", "status", "ACTIVE", "user", "order", "2024-06-01T12:00:00Z",
        "total", "currency", "EUR", "items", "sku", "quantity", "price", "true", "false", "null"};
    Random random = new Random(seed);
    StringBuilder sb = new StringBuilder(size + 32);
    while (sb.length() < size) {
      sb.append(words[random.nextInt(words.length)]).append('=')
          .append(random.nextInt(10_000)).append(random.nextBoolean() ? ", " : "; ");
    }
    byte[] all = sb.toString().getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.copyOf(all, size);
  }

  /** {@code size} bytes that do not compress. */
  protected static byte[] randomBytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** The remaining bytes of {@code b} (position unchanged). */
  protected static byte[] toArray(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }
}
