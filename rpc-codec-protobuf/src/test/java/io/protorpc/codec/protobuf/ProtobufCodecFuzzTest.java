package io.protorpc.codec.protobuf;

import static io.protorpc.testkit.CodecConformanceSuite.bytes;
import static io.protorpc.testkit.CodecConformanceSuite.join;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.StringValue;
import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.ProtocolException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bounded, deterministic fuzzing: whatever bytes arrive, decode either returns an envelope or
 * throws {@link ProtocolException}; never another exception.
 */
class ProtobufCodecFuzzTest {
  private static final ProtobufCodec CODEC = new ProtobufCodec();
  private static final int MAX_HEADER = 4096;
  private static final int ROUNDS = 2_000;

  /** Returns whether the bytes decoded; fails the test on any exception but ProtocolException. */
  private static boolean decodes(byte[] frame, String what) {
    try {
      CODEC.decode(ByteBuffer.wrap(frame), MAX_HEADER);
      return true;
    } catch (ProtocolException expected) {
      return false;
    } catch (RuntimeException | Error e) {
      fail(what + " threw " + e + " for " + Arrays.toString(frame), e);
      return false; // not reached
    }
  }

  @Test
  void randomBytesDecodeOrThrowProtocolException() {
    Random random = new Random(0x5EED_0001L);
    for (int i = 0; i < ROUNDS; i++) {
      byte[] frame = new byte[random.nextInt(257)];
      random.nextBytes(frame);
      if (frame.length > 0 && random.nextBoolean()) {
        // Half the time, a plausible length prefix, so that the header parser gets the garbage.
        frame[0] = (byte) random.nextInt(Math.min(frame.length, 128));
      }
      decodes(frame, "random array #" + i);
    }
  }

  @Test
  void singleByteMutationsDecodeOrThrowProtocolException() {
    Envelope valid = new Envelope(Envelope.Kind.RESPONSE, 123_456_789L, "pkg.Svc", "Call",
        2_000_000L,
        new Metadata().put("user-agent", "fuzz").putBytes("bin", new byte[] {0, (byte) 0xFF}),
        Status.of(StatusCode.ABORTED, "try again").withDetails(StringValue.of("details")),
        "gzip", ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
    byte[] original = bytes(join(CODEC.encode(valid)));
    Random random = new Random(0x5EED_0002L);
    int decoded = 0;
    int rejected = 0;
    for (int i = 0; i < ROUNDS; i++) {
      byte[] frame = original.clone();
      int index = random.nextInt(frame.length);
      frame[index] = (byte) (frame[index] + 1 + random.nextInt(255)); // always a different byte
      if (decodes(frame, "mutation #" + i + " at " + index)) {
        decoded++;
      } else {
        rejected++;
      }
    }
    // Both outcomes happen, so the mutations reach past the length prefix into header and payload.
    assertTrue(decoded > 0, "no mutation decoded");
    assertTrue(rejected > 0, "no mutation was rejected");
  }
}
