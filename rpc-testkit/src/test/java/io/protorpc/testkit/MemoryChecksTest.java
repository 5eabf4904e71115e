package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.testkit.broken.EagerCompressor;
import io.protorpc.testkit.broken.EagerFraming;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * The suites' memory checks refuse plugins that allocate what a peer claims rather than what
 * arrived; the built-in framings and compressors pass the same checks in their own suites.
 */
class MemoryChecksTest {
  @Test
  void framingSuiteRefusesADecoderThatAllocatesTheClaimedSizeAtThePrefix() {
    FramingConformanceSuite suite = new FramingConformanceSuite() {
      @Override
      protected Framing framing() {
        return new EagerFraming();
      }
    };
    String message = assertThrows(AssertionFailedError.class,
        suite::buffersGrowOnlyAsBytesArrive).getMessage();
    assertTrue(message.startsWith("after 16 bytes of a frame of 8388608 bytes, the decoder had "
        + "allocated "), message);
  }

  @Test
  void compressorSuiteRefusesADecompressorThatAllocatesTheLimit() throws Exception {
    CompressorConformanceSuite suite = new CompressorConformanceSuite() {
      @Override
      protected Compressor compressor() {
        return new EagerCompressor();
      }
    };
    suite.roundTrip(100, true, CompressorConformanceSuite.BufferKind.HEAP); // it does work
    String message = assertThrows(AssertionFailedError.class,
        suite::decompressionMemoryFollowsTheOutputNotTheLimit).getMessage();
    assertTrue(message.startsWith("decompressing 1024 bytes under a limit of 16777216 "
        + "allocated "), message);
  }
}
