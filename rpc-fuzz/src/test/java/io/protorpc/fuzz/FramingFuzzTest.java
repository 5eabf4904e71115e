package io.protorpc.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.protorpc.PluginRegistry;
import io.protorpc.fuzz.Inputs.Reads;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Fuzzes both built-in framings' decoders, looked up by name as a server would.
 *
 * <p>Each input is used twice. First as a raw byte stream from a peer, cut into reads of fuzzed
 * sizes: only {@link ProtocolException} (including {@link LimitExceededException}) may escape,
 * every read is consumed whole, no frame is larger than the maximum, and the decoder's memory
 * stays within a bound set by the maximum and the bytes it was given. Then as a payload: encoded
 * three times (payload, empty frame, payload), decoded from reads of fuzzed sizes, it must come
 * back exactly, with {@code hasPartialFrame()} true exactly between frame boundaries, or, if it is
 * larger than the maximum, be refused with {@link LimitExceededException} before any frame.
 *
 * <p>Input layout (see {@link Inputs}): a max-frame-size choice, a payload-repeat choice (see
 * {@link #repeatCount}), a read plan, then the bytes.
 */
class FramingFuzzTest {
  /** 64 KiB first, so an empty input gets it; small values probe COBS block edges and the limit. */
  static final int[] MAX_FRAME_SIZES = {64 * 1024, 0, 1, 253, 254, 255, 256, 257, 4096, 1 << 20};

  private static final Framing LENGTH = PluginRegistry.find(Framing.class, "length");
  private static final Framing DELIMITER = PluginRegistry.find(Framing.class, "delimiter");

  @FuzzTest(maxDuration = "10s")
  void length(FuzzedDataProvider data) throws ProtocolException {
    check(LENGTH, data);
  }

  @FuzzTest(maxDuration = "10s")
  void delimiter(FuzzedDataProvider data) throws ProtocolException {
    check(DELIMITER, data);
  }

  static void check(Framing framing, FuzzedDataProvider data) throws ProtocolException {
    int maxFrameSize = Inputs.pick(data, MAX_FRAME_SIZES);
    int repeat = repeatCount(data.consumeInt(0, 255));
    Reads reads = Reads.plan(data);
    byte[] bytes = data.consumeRemainingAsBytes();
    decodeArbitraryStream(framing, maxFrameSize, reads, bytes);
    roundTrip(framing, maxFrameSize, reads, repeat == 1 ? bytes : repeated(bytes, repeat));
  }

  /**
   * One byte: mostly 1; one time in 32, 8 to 64 (in steps of 8), so that payloads reach past
   * 64 KiB (where the length framing stops allocating a frame's whole size up front) while most
   * executions stay cheap.
   */
  static int repeatCount(int b) {
    return b < 248 ? 1 : (b - 247) * 8;
  }

  static void decodeArbitraryStream(Framing framing, int maxFrameSize, Reads reads, byte[] bytes) {
    FrameDecoder decoder = framing.newDecoder(maxFrameSize);
    List<ByteBuffer> chunks = reads.cut(bytes);
    // Made once, before the count starts: a plan of many empty reads must not charge the decoder
    // for the harness's own objects.
    Consumer<ByteBuffer> check = frame -> {
      if (frame.remaining() > maxFrameSize) {
        throw new AssertionError(framing.name() + " emitted a frame of " + frame.remaining()
            + " bytes; the maximum is " + maxFrameSize);
      }
    };
    Allocations.Mark start = Allocations.now();
    try {
      int index = 0;
      for (ByteBuffer chunk : chunks) {
        feed(decoder, chunk, index++ % 2 == 1, check);
        if (chunk.hasRemaining()) {
          throw new AssertionError(framing.name() + " left " + chunk.remaining()
              + " bytes of a read unconsumed");
        }
      }
    } catch (ProtocolException expected) {
      // Includes LimitExceededException: the connection would be closed, which is fine.
    }
    // Memory may follow the limit and the bytes received, never a length the peer claimed.
    Allocations.assertAtMost(start, 2L * maxFrameSize + 64L * bytes.length + Allocations.SLACK,
        () -> framing.name() + " decoding " + bytes.length + " bytes (max frame "
            + maxFrameSize + ")");
  }

  /**
   * Gives the decoder one read: through {@code decode}, or, when {@code viaTarget} and the decoder
   * offers a read target, put into that target first, as the socket transport reads large frames.
   */
  static void feed(FrameDecoder decoder, ByteBuffer chunk, boolean viaTarget,
      Consumer<ByteBuffer> frames) throws ProtocolException {
    while (chunk.hasRemaining()) {
      ByteBuffer target = viaTarget ? decoder.readTarget(1) : null;
      if (target == null) {
        decoder.decode(chunk, frames);
        return;
      }
      int n = Math.min(target.remaining(), chunk.remaining());
      target.put(chunk.slice(chunk.position(), n));
      chunk.position(chunk.position() + n);
      decoder.readInto(n, frames);
    }
  }

  static void roundTrip(Framing framing, int maxFrameSize, Reads reads, byte[] payload)
      throws ProtocolException {
    ByteBuffer[] parts = parts(payload, reads);
    int[] positions = Arrays.stream(parts).mapToInt(ByteBuffer::position).toArray();
    byte[] first = Inputs.concat(framing.encode(parts));
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].position() != positions[i]) {
        throw new AssertionError(framing.name() + ".encode moved a part's position");
      }
    }
    byte[] empty = Inputs.concat(framing.encode());
    byte[] last = Inputs.concat(framing.encode(ByteBuffer.wrap(payload)));
    if (!Arrays.equals(first, last)) {
      throw new AssertionError(framing.name()
          + " encoded the same content differently when it came in parts");
    }
    byte[] stream = new byte[first.length + empty.length + last.length];
    System.arraycopy(first, 0, stream, 0, first.length);
    System.arraycopy(empty, 0, stream, first.length, empty.length);
    System.arraycopy(last, 0, stream, first.length + empty.length, last.length);
    Set<Integer> boundaries = new TreeSet<>(List.of(0, first.length,
        first.length + empty.length, stream.length));

    FrameDecoder decoder = framing.newDecoder(maxFrameSize);
    List<ByteBuffer> frames = new ArrayList<>();
    int consumed = 0;
    try {
      // Long streams get proportionally longer reads, so that one input stays fast.
      int index = 0;
      for (ByteBuffer chunk : reads.lazily(stream, 1 + stream.length / 65536)) {
        int n = chunk.remaining();
        feed(decoder, chunk, index++ % 2 == 1, frames::add);
        consumed += n;
        // Frames must not share the input's memory: the reader reuses its buffer.
        Inputs.scribble(chunk);
        boolean midFrame = !boundaries.contains(consumed);
        if (decoder.hasPartialFrame() != midFrame) {
          throw new AssertionError(framing.name() + ".hasPartialFrame() is "
              + decoder.hasPartialFrame() + " after " + consumed + " bytes; frame boundaries: "
              + boundaries);
        }
      }
    } catch (LimitExceededException e) {
      if (payload.length <= maxFrameSize) {
        throw new AssertionError(framing.name() + " refused a frame of " + payload.length
            + " bytes with a maximum of " + maxFrameSize, e);
      }
      if (!frames.isEmpty()) {
        throw new AssertionError(framing.name() + " emitted " + frames.size()
            + " frames before refusing the first, oversize, one");
      }
      return;
    }
    if (payload.length > maxFrameSize) {
      throw new AssertionError(framing.name() + " accepted a frame of " + payload.length
          + " bytes with a maximum of " + maxFrameSize);
    }
    List<byte[]> expected = List.of(payload, new byte[0], payload);
    if (frames.size() != expected.size()) {
      throw new AssertionError(framing.name() + " decoded " + frames.size() + " frames, not 3");
    }
    for (int i = 0; i < expected.size(); i++) {
      if (!Arrays.equals(expected.get(i), Inputs.bytes(frames.get(i)))) {
        throw new AssertionError(framing.name() + ": frame " + i + " did not round-trip ("
            + expected.get(i).length + " bytes in, " + frames.get(i).remaining() + " out)");
      }
    }
  }

  /** The payload in up to three parts, cut where the read plan's first two sizes say. */
  static ByteBuffer[] parts(byte[] payload, Reads reads) {
    int[] sizes = reads.sizes();
    int a = Math.min(sizes[0], payload.length);
    int b = Math.min(a + sizes[1 % sizes.length], payload.length);
    // (a long repeated payload thus ends in one large part, which is fine: parts are not reads)
    return new ByteBuffer[] {
        Inputs.buffer(payload, 0, a, reads.style()),
        Inputs.buffer(payload, a, b - a, reads.style()),
        Inputs.buffer(payload, b, payload.length - b, reads.style())
    };
  }

  static byte[] repeated(byte[] bytes, int times) {
    byte[] out = new byte[bytes.length * times];
    for (int i = 0; i < times; i++) {
      System.arraycopy(bytes, 0, out, i * bytes.length, bytes.length);
    }
    return out;
  }
}
