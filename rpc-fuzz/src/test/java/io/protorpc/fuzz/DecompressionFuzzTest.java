package io.protorpc.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.protorpc.PluginRegistry;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Fuzzes {@code decompress(input, maxOutputBytes)} of every available {@link Compressor} that
 * {@link PluginRegistry} finds: today {@code identity}; {@code zstd} and {@code gzip} as soon as
 * rpc-codec-compress is on the test class path (see this module's pom). Only {@link IOException}s
 * ({@link ProtocolException} for corrupt input, {@link LimitExceededException} for too much
 * output) may escape; the output is never larger than the limit; the input's position is left
 * alone; memory follows the limit and the input, not a size the input claims. Then each input is
 * compressed and must decompress to itself with a limit of exactly its size, and be refused with
 * {@link LimitExceededException} with one byte less.
 *
 * <p>Input layout (see {@link Inputs}): an output-limit choice, a buffer kind, then the bytes.
 */
class DecompressionFuzzTest {
  /** 1 MiB first; then limits that small inputs can exceed. */
  static final int[] LIMITS = {1 << 20, 0, 1, 100, 4096};

  static final List<Compressor> COMPRESSORS = PluginRegistry.all(Compressor.class).stream()
      .filter(Compressor::isAvailable)
      .sorted(Comparator.comparing(Compressor::name))
      .toList();

  @FuzzTest(maxDuration = "10s")
  void decompress(FuzzedDataProvider data) throws IOException {
    int limit = Inputs.pick(data, LIMITS);
    int style = Inputs.style(data);
    byte[] bytes = data.consumeRemainingAsBytes();
    for (Compressor compressor : COMPRESSORS) {
      decompressArbitrary(compressor, bytes, limit, style);
      roundTrip(compressor, bytes, style);
    }
  }

  static void decompressArbitrary(Compressor compressor, byte[] bytes, int limit, int style) {
    ByteBuffer input = Inputs.buffer(bytes, style);
    int position = input.position();
    Allocations.Mark start = Allocations.now();
    try {
      ByteBuffer out = compressor.decompress(input, limit);
      if (out.remaining() > limit) {
        throw new AssertionError(compressor.name() + " returned " + out.remaining()
            + " bytes; the limit is " + limit);
      }
    } catch (IOException expected) {
      // ProtocolException (corrupt) or LimitExceededException (too large): the call would fail.
    }
    Allocations.assertAtMost(start, 4L * limit + 64L * bytes.length + Allocations.SLACK,
        () -> compressor.name() + " decompressing " + bytes.length + " bytes with a limit of "
            + limit);
    if (input.position() != position) {
      throw new AssertionError(compressor.name() + ".decompress moved the input's position");
    }
  }

  static void roundTrip(Compressor compressor, byte[] bytes, int style) throws IOException {
    ByteBuffer input = Inputs.buffer(bytes, style);
    int position = input.position();
    ByteBuffer compressed = compressor.compress(input);
    if (input.position() != position) {
      throw new AssertionError(compressor.name() + ".compress moved the input's position");
    }
    byte[] packed = Inputs.bytes(compressed);
    ByteBuffer out = compressor.decompress(Inputs.buffer(packed, style), bytes.length);
    if (!Arrays.equals(bytes, Inputs.bytes(out))) {
      throw new AssertionError(compressor.name() + ": " + bytes.length
          + " bytes did not round-trip");
    }
    if (bytes.length > 0) {
      try {
        compressor.decompress(Inputs.buffer(packed, style), bytes.length - 1);
        throw new AssertionError(compressor.name() + " decompressed " + bytes.length
            + " bytes under a limit of " + (bytes.length - 1));
      } catch (LimitExceededException expected) {
        // as documented
      }
    }
  }
}
