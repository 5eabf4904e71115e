package io.protorpc;

// This one test class lives in io.protorpc (not io.protorpc.fuzz like the others) because the
// preface decoder, Preface.Decoder, is package-private. That works only because this module's
// tests run on the class path, where rpc-api's module boundary does not apply. Keep the package
// for this class alone.

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.protorpc.fuzz.Allocations;
import io.protorpc.fuzz.Inputs;
import io.protorpc.fuzz.Inputs.Reads;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the connection preface.
 *
 * <p>{@link #decode}: arbitrary bytes in reads of fuzzed sizes. Only {@link ProtocolException}
 * (including {@link LimitExceededException}) may escape; the decoder never takes more than the
 * 7-byte head plus the 4 KiB body limit from its input, consumes every read whole until the
 * preface is complete and then leaves the bytes after it where they are; its memory stays within
 * a bound set by that limit, whatever body length the head claims.
 *
 * <p>{@link #roundTrip}: the input read as {@code key=value} lines is encoded and decoded again.
 * A body within the limit comes back exactly (line breaks in values become spaces). A longer one
 * is cut by the encoder, which its documentation allows only for a long last value (a refusal
 * reason); such a cut preface must still decode.
 */
class PrefaceFuzzTest {
  private static final int MOST = Preface.HEAD_SIZE + Preface.MAX_BODY;

  /**
   * An open finding (see {@link #longReasonIsCutAtACharacterBoundary}) that {@link #roundTrip}
   * tolerates so that fuzzing goes on to find others. Set to false, and enable that test, once
   * Preface.encode cuts at a character boundary.
   */

  /**
   * What one decode call that buffers or refuses may allocate: the largest body, plus room for an
   * exception and its stack trace; far below the 64 KiB a trusted 65535-byte claim would take.
   */
  private static final long BUFFERING = MOST + 32 * 1024;

  /** Parsing the (at most 4 KiB) body into strings and a map costs more, but it is bounded. */
  private static final long PARSING = 256L * MOST + Allocations.SLACK;

  @FuzzTest(maxDuration = "10s")
  void decode(FuzzedDataProvider data) {
    Reads reads = Reads.plan(data);
    byte[] bytes = data.consumeRemainingAsBytes();
    Preface.Decoder decoder = new Preface.Decoder();
    int consumed = 0;
    for (ByteBuffer chunk : reads.cut(bytes)) {
      int before = chunk.remaining();
      Allocations.Mark start = Allocations.now();
      Map<String, String> fields;
      try {
        fields = decoder.decode(chunk);
      } catch (ProtocolException expected) {
        // Includes LimitExceededException: the peer is refused and the connection closed. Before
        // the body is whole, only the exception may cost memory: nothing was buffered for a
        // claimed body. A whole body refused while being parsed costs what parsing costs.
        int taken = consumed + before - chunk.remaining();
        boolean wholeBody = bytes.length >= Preface.HEAD_SIZE
            && taken >= Preface.HEAD_SIZE + (((bytes[5] & 0xFF) << 8) | (bytes[6] & 0xFF));
        Allocations.assertAtMost(start, wholeBody ? PARSING : BUFFERING,
            () -> "refusing a preface");
        return;
      }
      consumed += before - chunk.remaining();
      if (consumed > MOST) {
        throw new AssertionError("the preface decoder took " + consumed + " bytes; a preface has"
            + " at most " + MOST);
      }
      if (fields != null) {
        Allocations.assertAtMost(start, PARSING, () -> "parsing a preface body");
        int declared = ((bytes[5] & 0xFF) << 8) | (bytes[6] & 0xFF);
        assertEquals(Preface.HEAD_SIZE + declared, consumed, "bytes taken for the preface");
        return;
      }
      // Still incomplete: at most the head and a body of at most 4 KiB may have been allocated.
      Allocations.assertAtMost(start, BUFFERING, () -> "buffering a preface");
      if (chunk.hasRemaining()) {
        throw new AssertionError("the preface decoder left " + chunk.remaining()
            + " bytes of a read before the preface was complete");
      }
    }
  }

  @FuzzTest(maxDuration = "10s")
  void roundTrip(FuzzedDataProvider data) throws ProtocolException {
    int copies = 1 + data.consumeInt(0, 255) / 32; // how often the last value is repeated: 1..8
    String text = new String(data.consumeRemainingAsBytes(), StandardCharsets.UTF_8);
    Map<String, String> fields = new LinkedHashMap<>();
    String lastKey = null;
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        lastKey = line.substring(0, eq);
        fields.remove(lastKey); // so that a repeated key becomes the last one
        fields.put(lastKey, line.substring(eq + 1));
      }
    }
    if (lastKey != null) {
      fields.put(lastKey, fields.get(lastKey).repeat(copies));
    }
    Map<String, String> expected = new LinkedHashMap<>();
    fields.forEach((k, v) -> expected.put(k, v.replace('\r', ' ')));

    ByteBuffer wire = Preface.encode(fields);
    int bodyLength = 0;
    int beforeLastValue = 0;
    for (Map.Entry<String, String> e : expected.entrySet()) {
      beforeLastValue = bodyLength + utf8Length(e.getKey()) + 1;
      bodyLength = beforeLastValue + utf8Length(e.getValue()) + 1;
    }
    if (bodyLength <= Preface.MAX_BODY) {
      Map<String, String> decoded = new Preface.Decoder().decode(wire);
      assertEquals(expected, decoded);
      assertEquals(0, wire.remaining(), "bytes left after the preface");
    } else if (beforeLastValue < Preface.MAX_BODY) {
      // Only the last value is cut: the documented case. It must still arrive, shortened.
      Map<String, String> decoded;
      try {
        decoded = new Preface.Decoder().decode(wire);
      } catch (ProtocolException e) {
        throw new AssertionError("a preface whose long last value was cut does not decode", e);
      }
      String value = decoded.get(lastKey);
      if (value == null || !expected.get(lastKey).startsWith(value)) {
        throw new AssertionError("the cut value is not a prefix of the original");
      }
    } else {
      // Cut elsewhere: not a supported use of encode, but decoding must still fail cleanly.
      try {
        new Preface.Decoder().decode(wire);
      } catch (ProtocolException expectedFailure) {
        // fine
      }
    }
  }


  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** A head claiming the largest body its 2-byte length can say is refused before buffering. */
  @Test
  void bodyLength65535IsRefusedWithoutBuffering() throws Exception {
    byte[] head = {'P', 'R', 'P', 'C', 1, (byte) 0xFF, (byte) 0xFF};
    for (int split = 0; split <= head.length; split++) {
      int at = split;
      Allocations.assertEachRunAtMost(Allocations.SLACK, () -> "refusing a 65535-byte body", () -> {
        Preface.Decoder decoder = new Preface.Decoder();
        ByteBuffer first = ByteBuffer.wrap(head, 0, at);
        ByteBuffer second = ByteBuffer.wrap(head, at, head.length - at);
        assertThrows(LimitExceededException.class, () -> {
          decoder.decode(first);
          decoder.decode(second);
        });
      });
    }
  }

  /**
   * Regression for a finding of {@link #roundTrip}: {@code Preface.encode} used to cut a body over
   * 4096 bytes inside a multi-byte UTF-8 character, so the peer refused the whole preface and a
   * refusal reason was lost. It now cuts at a character boundary.
   */
  @Test
  void longReasonIsCutAtACharacterBoundary() throws ProtocolException {
    // "reason=" is 7 bytes, so the value's bytes 4088 and 4089 are body bytes 4095 and 4096:
    // the cut at 4096 falls between the two bytes of the final 'é'.
    String reason = "x".repeat(4088) + "é";
    ByteBuffer wire = Preface.encode(Map.of("reason", reason));
    Map<String, String> decoded = new Preface.Decoder().decode(wire);
    assertTrue(reason.startsWith(decoded.get("reason")), "a prefix of the reason arrives");
  }

  /**
   * Found by {@link #decode} (seed {@code finding-long-malformed-line}): refusing a body that is
   * one 4 KiB line without '=' quoted the whole line, the peer's text, in the error. The error
   * now quotes its start only.
   */
  @Test
  void aMalformedLineIsQuotedOnlyInPart() {
    byte[] line = "x".repeat(Preface.MAX_BODY).getBytes(StandardCharsets.US_ASCII);
    ByteBuffer wire = ByteBuffer.allocate(Preface.HEAD_SIZE + line.length)
        .put(new byte[] {'P', 'R', 'P', 'C', 1}).putShort((short) line.length).put(line).flip();
    ProtocolException e = assertThrows(ProtocolException.class,
        () -> new Preface.Decoder().decode(wire));
    assertTrue(e.getMessage().startsWith("malformed preface line: 'xxxx"), e.getMessage());
    assertTrue(e.getMessage().length() < 128, e.getMessage().length() + " characters");
  }

  /** The largest allowed body, 4096 bytes, arrives byte by byte and decodes. */
  @Test
  void largestBodyDecodesFromSingleByteReads() throws ProtocolException {
    StringBuilder reason = new StringBuilder();
    while (reason.length() < Preface.MAX_BODY - "reason=\n".length()) {
      reason.append('x');
    }
    ByteBuffer wire = Preface.encode(Map.of("reason", reason.toString()));
    assertEquals(MOST, wire.remaining());
    Preface.Decoder decoder = new Preface.Decoder();
    List<Map<String, String>> results = new ArrayList<>();
    while (wire.hasRemaining()) {
      ByteBuffer one = ByteBuffer.wrap(new byte[] {wire.get()});
      Map<String, String> fields = decoder.decode(one);
      if (fields != null) {
        results.add(fields);
      }
    }
    assertEquals(List.of(Map.of("reason", reason.toString())), results);
  }
}
