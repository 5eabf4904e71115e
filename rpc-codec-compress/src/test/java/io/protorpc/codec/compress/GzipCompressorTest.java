package io.protorpc.codec.compress;

import static io.protorpc.codec.compress.ZstdCompressorTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class GzipCompressorTest {
  private final GzipCompressor gzip = new GzipCompressor();
  private final byte[] text = String.join(",", java.util.Collections.nCopies(500, "hello gzip"))
      .getBytes(StandardCharsets.US_ASCII);

  @Test
  void outputIsReadableByGzipInputStream() throws IOException {
    for (int level = 0; level <= 9; level++) {
      for (ByteBuffer input : new ByteBuffer[] {ByteBuffer.wrap(text),
          ByteBuffer.allocateDirect(text.length).put(text).flip()}) {
        byte[] compressed = bytes(new GzipCompressor(level).compress(input));
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
          assertArrayEquals(text, in.readAllBytes(), "level " + level);
        }
      }
    }
  }

  @Test
  void readsGzipOutputStream() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(text);
    }
    assertArrayEquals(text, bytes(gzip.decompress(ByteBuffer.wrap(out.toByteArray()),
        text.length)));
  }

  @Test
  void readsHeaderWithExtraNameCommentAndHeaderCrc() throws IOException {
    byte[] plain = bytes(gzip.compress(ByteBuffer.wrap(text)));
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x1E, 1, 2, 3, 4, 0, 3});
    header.writeBytes(new byte[] {3, 0, 'a', 'b', 'c'}); // FEXTRA
    header.writeBytes("name.txt\0".getBytes(StandardCharsets.ISO_8859_1)); // FNAME
    header.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1)); // FCOMMENT
    CRC32 crc = new CRC32();
    crc.update(header.toByteArray());
    header.write((int) crc.getValue() & 0xFF); // FHCRC
    header.write((int) (crc.getValue() >>> 8) & 0xFF);
    header.write(plain, 10, plain.length - 10);
    byte[] fancy = header.toByteArray();
    assertArrayEquals(text, bytes(gzip.decompress(ByteBuffer.wrap(fancy), text.length)));

    fancy[5] ^= 1; // the header CRC no longer matches
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> gzip.decompress(ByteBuffer.wrap(fancy), text.length));
    assertTrue(e.getMessage().contains("CRC-16"), e.getMessage());
  }

  @Test
  void trailerIsChecked() throws IOException {
    byte[] compressed = bytes(gzip.compress(ByteBuffer.wrap(text)));
    byte[] badCrc = compressed.clone();
    badCrc[badCrc.length - 8] ^= 1;
    assertTrue(assertThrows(ProtocolException.class,
        () -> gzip.decompress(ByteBuffer.wrap(badCrc), text.length)).getMessage()
        .contains("CRC-32"));
    byte[] badSize = compressed.clone();
    badSize[badSize.length - 4] ^= 1;
    assertTrue(assertThrows(ProtocolException.class,
        () -> gzip.decompress(ByteBuffer.wrap(badSize), text.length)).getMessage()
        .contains("trailer says"));
    byte[] twoMembers = Arrays.copyOf(compressed, compressed.length * 2);
    System.arraycopy(compressed, 0, twoMembers, compressed.length, compressed.length);
    assertTrue(assertThrows(ProtocolException.class,
        () -> gzip.decompress(ByteBuffer.wrap(twoMembers), 2 * text.length)).getMessage()
        .contains("after the member"));
  }

  @Test
  void notGzipIsAClearProtocolError() {
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> gzip.decompress(ByteBuffer.wrap("hello, world".getBytes(StandardCharsets.US_ASCII)),
            100));
    assertTrue(e.getMessage().contains("not gzip data"), e.getMessage());
  }

  @Test
  void levelIsValidated() {
    assertEquals(6, gzip.level());
    assertEquals(9, new GzipCompressor(9).level());
    assertThrows(IllegalArgumentException.class, () -> new GzipCompressor(10));
    assertThrows(IllegalArgumentException.class, () -> new GzipCompressor(-1));
  }
}
