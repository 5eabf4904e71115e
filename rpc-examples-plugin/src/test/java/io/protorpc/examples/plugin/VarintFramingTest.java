package io.protorpc.examples.plugin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The varint format itself: the exact prefix bytes, and the prefixes the decoder refuses. */
class VarintFramingTest {
  private static final VarintFraming FRAMING = new VarintFraming();
  private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

  private static List<ByteBuffer> decode(FrameDecoder decoder, String hex)
      throws ProtocolException {
    List<ByteBuffer> frames = new ArrayList<>();
    decoder.decode(ByteBuffer.wrap(HEX.parseHex(hex)), frames::add);
    return frames;
  }

  @ParameterizedTest
  @CsvSource({
      "0, 00", "1, 01", "127, 7f", "128, 80 01", "300, ac 02", "16383, ff 7f", "16384, 80 80 01",
      "2097151, ff ff 7f", "2097152, 80 80 80 01", "268435455, ff ff ff 7f",
      "268435456, 80 80 80 80 01", "2147483647, ff ff ff ff 07"})
  void prefixIsTheShortestBase128Varint(int length, String hex) {
    ByteBuffer prefix = VarintFraming.prefix(length);
    byte[] bytes = new byte[prefix.remaining()];
    prefix.get(bytes);
    assertEquals(hex, HEX.formatHex(bytes));
  }

  @Test
  void encodeSharesThePartsBehindAPrefix() {
    byte[] content = new byte[300];
    ByteBuffer[] out = FRAMING.encode(ByteBuffer.wrap(content, 0, 200), ByteBuffer.wrap(content));
    assertEquals(3, out.length);
    assertEquals("f4 03", HEX.formatHex(bytes(out[0])), "500 as a varint");
    content[0] = 42; // no copy: the change shows through
    assertEquals(42, out[1].get(0));
    assertEquals(42, out[2].get(0));
  }

  @Test
  void decodesKnownFrames() throws ProtocolException {
    List<ByteBuffer> frames = decode(FRAMING.newDecoder(300), "00 01 41 02 00 ff 00");
    assertEquals(List.of("", "41", "00 ff", ""), frames.stream().map(f -> HEX.formatHex(bytes(f)))
        .toList());
  }

  @ParameterizedTest
  @ValueSource(strings = {"80 00", "ff 00", "80 80 00", "81 80 80 80 00"})
  void refusesOverlongPrefixes(String hex) {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> decode(FRAMING.newDecoder(Integer.MAX_VALUE), hex));
    assertFalse(e instanceof LimitExceededException, e.toString());
    assertTrue(e.getMessage().contains("overlong"), e.getMessage());
  }

  @Test
  void refusesPrefixesLongerThanFiveBytes() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> decode(FRAMING.newDecoder(Integer.MAX_VALUE), "80 80 80 80 80 01"));
    assertTrue(e.getMessage().contains("longer than 5 bytes"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ff ff ff ff 10", "80 80 80 80 7f"})
  void refusesPrefixesBeyond32Bits(String hex) {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> decode(FRAMING.newDecoder(Integer.MAX_VALUE), hex));
    assertTrue(e.getMessage().contains("32 bits"), e.getMessage());
  }

  @Test
  void refusesAHugeLengthFromThePrefixAloneWithoutAllocatingIt() {
    // 2^32 - 1 and 2^31 - 1: allocating either would end in OutOfMemoryError under the tests'
    // 1 GiB heap, not in this exception.
    for (String hex : List.of("ff ff ff ff 0f", "ff ff ff ff 07")) {
      FrameDecoder decoder = FRAMING.newDecoder(4 * 1024 * 1024);
      LimitExceededException e = assertThrows(LimitExceededException.class,
          () -> decode(decoder, hex));
      assertTrue(e.getMessage().contains("4194304"), e.getMessage());
    }
  }

  @Test
  void aPrefixSplitAcrossReadsIsAPartialFrame() throws ProtocolException {
    FrameDecoder decoder = FRAMING.newDecoder(200);
    assertEquals(List.of(), decode(decoder, "ac"));
    assertTrue(decoder.hasPartialFrame(), "half a prefix");
    assertEquals(List.of(), decode(decoder, "01"));
    assertTrue(decoder.hasPartialFrame(), "a prefix announcing 172 bytes");
    List<ByteBuffer> frames = decode(decoder, HEX.formatHex(new byte[172]));
    assertEquals(1, frames.size());
    assertArrayEquals(new byte[172], bytes(frames.get(0)));
    assertFalse(decoder.hasPartialFrame());
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
