package io.protorpc.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.StringValue;
import io.protorpc.Metadata;
import io.protorpc.PluginRegistry;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.codec.protobuf.wire.Header;
import io.protorpc.codec.protobuf.wire.MetadataEntry;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the seed inputs under {@code src/test/resources}: valid frames, envelopes and prefaces
 * plus the edge cases worth keeping, each in the target's input layout (see {@link Inputs}: the
 * stream first, then the one-byte choices in reverse order of use). Regression mode runs exactly
 * these files (and findings added next to them). Its name matches none of surefire's test
 * patterns, so it runs only when asked for, from the repository root:
 *
 * <pre>
 * mvn -B -q verify -pl rpc-fuzz -am -Dtest=SeedWriter -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dfuzz.writeSeeds=src/test/resources
 * </pre>
 *
 * <p>The path is relative to rpc-fuzz (surefire's working directory).
 */
class SeedWriter {
  private Path root;

  @Test
  @EnabledIfSystemProperty(named = "fuzz.writeSeeds", matches = ".+")
  void write() throws IOException {
    root = Path.of(System.getProperty("fuzz.writeSeeds"));
    framing();
    codec();
    decompression();
    preface();
  }

  // Choice values, by meaning, for the framing target (see FramingFuzzTest.MAX_FRAME_SIZES).
  private static final int FRAME_64K = 0;
  private static final int FRAME_254 = 4;
  private static final int FRAME_256 = 6;
  private static final int FRAME_1M = 9;
  private static final int ONCE = 0;
  private static final int REPEAT_64 = 255;

  private void framing() throws IOException {
    Framing length = PluginRegistry.find(Framing.class, "length");
    Framing delimiter = PluginRegistry.find(Framing.class, "delimiter");
    byte[] hello = ascii("hello");
    byte[] binary = {0, 1, 0, 0, (byte) 0xFF, 0, 0x42};
    for (Framing f : new Framing[] {length, delimiter}) {
      String dir = "io/protorpc/fuzz/FramingFuzzTestInputs/" + f.name();
      // Valid streams, read whole and byte by byte (into direct buffers).
      byte[] two = cat(encode(f, hello), encode(f), encode(f, binary));
      write(dir, "valid-frames", framingSeed(two, FRAME_64K, ONCE, 0, 1, new int[] {255}));
      write(dir, "valid-frames-byte-by-byte",
          framingSeed(two, FRAME_64K, ONCE, 3, 1, new int[] {1}));
      // Exactly at the limit and one past it.
      write(dir, "frame-at-limit",
          framingSeed(encode(f, filled(256, 0x42)), FRAME_256, ONCE, 1, 2, new int[] {3, 200}));
      write(dir, "frame-past-limit",
          framingSeed(encode(f, filled(257, 0x42)), FRAME_256, ONCE, 2, 1, new int[] {100}));
      // 250 KiB of payload: frames grow past 64 KiB (the length framing's eager size), within
      // a 1 MiB limit and past a 64 KiB one.
      write(dir, "large-round-trip",
          framingSeed(filled(4000, 0x00), FRAME_1M, REPEAT_64, 0, 1, new int[] {255}));
      write(dir, "large-past-limit",
          framingSeed(filled(4000, 0x17), FRAME_64K, REPEAT_64, 2, 2, new int[] {255, 1}));
      // Empty reads mixed in.
      write(dir, "empty-reads", framingSeed(two, FRAME_64K, ONCE, 4, 3, new int[] {0, 2, 0}));
    }
    String dir = "io/protorpc/fuzz/FramingFuzzTestInputs/length";
    write(dir, "prefix-7fffffff",
        framingSeed(bytes(0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3), FRAME_64K, ONCE, 0, 2, new int[] {1, 5}));
    write(dir, "prefix-ffffffff",
        framingSeed(bytes(0xFF, 0xFF, 0xFF, 0xFF), FRAME_64K, ONCE, 0, 1, new int[] {255}));
    write(dir, "claim-within-limit-never-sent",
        framingSeed(bytes(0x00, 0x00, 0xFF, 0xFF, 1, 2, 3), FRAME_64K, ONCE, 0, 1, new int[] {7}));

    dir = "io/protorpc/fuzz/FramingFuzzTestInputs/delimiter";
    byte[] full = filled(254, 0x42);
    write(dir, "full-block", framingSeed(encode(delimiter, full), FRAME_254, ONCE, 0, 1,
        new int[] {255}));
    // The same with the empty block some COBS encoders add after a full one.
    byte[] withEmptyBlock = cat(bytes(0xFF), full, bytes(0x01, 0x00));
    write(dir, "full-block-then-empty-block",
        framingSeed(withEmptyBlock, FRAME_254, ONCE, 0, 2, new int[] {128, 255}));
    write(dir, "lone-terminator", framingSeed(bytes(0x00), FRAME_64K, ONCE, 0, 1, new int[] {1}));
    write(dir, "ends-inside-block",
        framingSeed(bytes(0x05, 0x11, 0x00), FRAME_64K, ONCE, 0, 1, new int[] {3}));
    byte[] endless = new byte[255 * 16];
    for (int i = 0; i < endless.length; i += 255) {
      endless[i] = (byte) 0xFF;
      Arrays.fill(endless, i + 1, i + 255, (byte) 0x42);
    }
    write(dir, "endless-frame",
        framingSeed(endless, FRAME_254, ONCE, 0, 2, new int[] {255, 17}));
  }

  private static byte[] framingSeed(byte[] stream, int maxFrameSize, int repeat, int style,
      int reads, int[] sizes) {
    int[] choices = new int[3 + sizes.length + 1];
    choices[0] = maxFrameSize;
    choices[1] = repeat;
    choices[2] = reads - 1; // 1 + consumeInt(0, 15)
    System.arraycopy(sizes, 0, choices, 3, sizes.length);
    choices[3 + sizes.length] = style;
    return seed(stream, choices);
  }

  // Choice values for the codec target (see EnvelopeCodecFuzzTest.MAX_HEADER_SIZES).
  private static final int HEADER_64K = 0;
  private static final int HEADER_16 = 3;

  private void codec() throws IOException {
    Codec codec = PluginRegistry.find(Codec.class, "protobuf");
    String dir = "io/protorpc/fuzz/EnvelopeCodecFuzzTestInputs/decode";
    Metadata metadata = new Metadata().put("user-agent", "fuzz").putBytes("bin", bytes(0, 1, 2));
    Envelope request = Envelope.request(7, "pkg.Echo", "Say", 5_000_000, metadata, "",
        ByteBuffer.wrap(hello()), Envelope.FLAG_ONE_WAY);
    write(dir, "request", seed(cat(codec.encode(request)), HEADER_64K, 0));
    write(dir, "request-direct-buffer", seed(cat(codec.encode(request)), HEADER_64K, 3));
    write(dir, "request-over-header-limit", seed(cat(codec.encode(request)), HEADER_16, 1));
    Status failed = Status.of(StatusCode.INVALID_ARGUMENT, "bad")
        .withDetails(StringValue.of("why"));
    write(dir, "response-with-details", seed(cat(codec.encode(
        Envelope.response(7, failed, metadata, "zstd", null))), HEADER_64K, 2));
    write(dir, "response-ok", seed(cat(codec.encode(
        Envelope.response(8, Status.OK, null, "", ByteBuffer.wrap(hello())))), HEADER_64K, 4));
    write(dir, "ping", seed(cat(codec.encode(
        Envelope.control(Envelope.Kind.PING, 0, null, ByteBuffer.wrap(bytes(1, 2, 3, 4))))),
        HEADER_64K, 0));
    write(dir, "goaway", seed(cat(codec.encode(Envelope.control(Envelope.Kind.GOAWAY, 0,
        Status.of(StatusCode.UNAVAILABLE, "shutting down"), null))), HEADER_64K, 0));
    // Malformed headers, built directly so the codec's own checks are reached.
    write(dir, "unknown-kind", seed(framed(Header.newBuilder().setKindValue(7).build()),
        HEADER_64K, 0));
    write(dir, "duplicate-metadata-key", seed(framed(Header.newBuilder().setKindValue(1)
        .addMetadata(MetadataEntry.newBuilder().setKey("a"))
        .addMetadata(MetadataEntry.newBuilder().setKey("a")).build()), HEADER_64K, 0));
    write(dir, "invalid-metadata-key", seed(framed(Header.newBuilder().setKindValue(1)
        .addMetadata(MetadataEntry.newBuilder().setKey("Upper Case")).build()), HEADER_64K, 0));
    write(dir, "details-not-any", seed(framed(Header.newBuilder().setKindValue(2)
        .setStatusCode(3).setStatusDetails(ByteString.copyFrom(bytes(0xFF, 0xFF))).build()),
        HEADER_64K, 0));
    write(dir, "unknown-status-code", seed(framed(Header.newBuilder().setKindValue(2)
        .setStatusCode(0xFFFFFFFF).setStatusMessage("?").build()), HEADER_64K, 0));
    // Length prefixes: 2^31, 2^32 - 1, a 6-byte varint, a truncated varint.
    write(dir, "header-length-2pow31", seed(bytes(0x80, 0x80, 0x80, 0x80, 0x08, 1), HEADER_64K, 0));
    write(dir, "header-length-max32", seed(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0x0F), HEADER_64K, 0));
    write(dir, "header-length-6-bytes",
        seed(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x00), HEADER_64K, 0));
    write(dir, "header-length-truncated", seed(bytes(0x80, 0x80), HEADER_64K, 0));
  }

  private static byte[] framed(Header header) {
    byte[] h = header.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = h.length;
    while (n >= 0x80) {
      out.write((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out.write(n);
    out.writeBytes(h);
    out.writeBytes(hello());
    return out.toByteArray();
  }

  // Choice values for the decompression target (see DecompressionFuzzTest.LIMITS).
  private static final int OUT_1M = 0;
  private static final int OUT_100 = 3;

  private void decompression() throws IOException {
    String dir = "io/protorpc/fuzz/DecompressionFuzzTestInputs/decompress";
    byte[] text = ascii("the quick brown fox jumps over the lazy dog; ".repeat(20));
    write(dir, "plain", seed(text, OUT_1M, 0));
    write(dir, "plain-over-limit", seed(text, OUT_100, 3));
    write(dir, "gzip", seed(gzip(text), OUT_1M, 0));
    byte[] gzipBomb = gzip(new byte[8 << 20]); // 8 MiB of zeros in about 8 KiB
    write(dir, "gzip-bomb", seed(gzipBomb, OUT_1M, 1));
    write(dir, "gzip-truncated", seed(Arrays.copyOf(gzip(text), 30), OUT_1M, 0));
    // zstd frames written by hand (no zstd library here): magic, frame header, blocks.
    byte[] magic = bytes(0x28, 0xB5, 0x2F, 0xFD);
    // Single segment, 1-byte content size 5; one last raw block of 5 bytes.
    write(dir, "zstd-raw", seed(cat(magic, bytes(0x20, 5, 0x29, 0, 0), hello()), OUT_1M, 0));
    // Single segment, 8-byte content size 2^40 (far past any limit); one RLE block.
    write(dir, "zstd-claims-1tib", seed(cat(magic, bytes(0xE0, 0, 0, 0, 0, 0, 1, 0, 0),
        bytes(0x03 | (4 << 3), 0, 0, 0x42)), OUT_1M, 0));
    // No content size; RLE blocks of 128 KiB each until past the limit: bounded streaming.
    byte[] rle = bytes(0x02, 0x00, 0x10, 0x42); // not last, RLE, 131072 bytes of 0x42
    byte[] stream = cat(magic, bytes(0x00, 0x50)); // no content size; window 2^(10+10) = 1 MiB
    for (int i = 0; i < 16; i++) {
      stream = cat(stream, rle);
    }
    write(dir, "zstd-rle-past-limit", seed(cat(stream, bytes(0x01, 0, 0)), OUT_1M, 0)); // last, empty
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private void preface() throws IOException {
    String dir = "io/protorpc/PrefaceFuzzTestInputs/decode";
    byte[] client = preface(ascii("framing=length\ncodec=protobuf\ncompressors=identity\n"
        + "max-message-size=4194304\nmax-header-size=65536\n"));
    write(dir, "client", seed(client, 0, 255, 0));
    write(dir, "client-byte-by-byte", seed(client, 0, 1, 3));
    write(dir, "client-then-frames", seed(cat(client, bytes(0, 0, 0, 5), hello()), 1, 3, 250, 1));
    write(dir, "refusal", seed(preface(ascii("status=refused\nreason=framing 'x' is not "
        + "accepted here (accepted: length)\n")), 0, 255, 2));
    write(dir, "bad-magic", seed(ascii("GET / HTTP/1.1\r\n\r\n"), 0, 255, 0));
    write(dir, "version-2", seed(bytes('P', 'R', 'P', 'C', 2, 0, 0), 0, 255, 0));
    write(dir, "body-length-65535", seed(bytes('P', 'R', 'P', 'C', 1, 0xFF, 0xFF, 'a'), 0, 3, 4));
    write(dir, "body-length-4096", seed(preface(cat(ascii("reason="), filled(4088, 'x'),
        ascii("\n"))), 0, 255, 0));
    write(dir, "body-not-utf8", seed(preface(bytes('a', '=', 0xC3, 0x28, '\n')), 0, 255, 0));
    write(dir, "line-without-equals", seed(preface(ascii("framing\n")), 0, 255, 0));

    dir = "io/protorpc/PrefaceFuzzTestInputs/roundTrip";
    write(dir, "client", cat(ascii("framing=length\ncodec=protobuf\ncompressors=identity,zstd\n"),
        bytes(0)));
    write(dir, "values-with-breaks-and-equals", cat(ascii("reason=a=b\r\nstatus=refused\r\n"),
        bytes(0)));
    // A long non-ASCII last value, repeated 8 times: the encoder must cut it.
    write(dir, "long-reason", cat(ascii("status=refused\nreason="),
        "framing 'äöü€' is not accepted here; ".repeat(20).getBytes(StandardCharsets.UTF_8),
        bytes(255)));
  }

  private static byte[] preface(byte[] body) {
    return cat(bytes('P', 'R', 'P', 'C', 1, body.length >> 8, body.length & 0xFF), body);
  }

  // ---- helpers

  /** {@code stream} followed by the choice bytes in reverse order (the provider reads the end). */
  private static byte[] seed(byte[] stream, int... choices) {
    byte[] out = Arrays.copyOf(stream, stream.length + choices.length);
    for (int i = 0; i < choices.length; i++) {
      out[out.length - 1 - i] = (byte) choices[i];
    }
    return out;
  }

  private void write(String dir, String name, byte[] content) throws IOException {
    Path d = root.resolve(dir);
    Files.createDirectories(d);
    Files.write(d.resolve(name), content);
  }

  private static byte[] encode(Framing f, byte[]... parts) {
    return cat(f.encode(Arrays.stream(parts).map(ByteBuffer::wrap).toArray(ByteBuffer[]::new)));
  }

  private static byte[] cat(ByteBuffer... parts) {
    return Inputs.concat(parts);
  }

  private static byte[] cat(byte[]... parts) {
    return cat(Arrays.stream(parts).map(ByteBuffer::wrap).toArray(ByteBuffer[]::new));
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  private static byte[] filled(int n, int value) {
    byte[] out = new byte[n];
    Arrays.fill(out, (byte) value);
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] hello() {
    return ascii("hello");
  }
}
