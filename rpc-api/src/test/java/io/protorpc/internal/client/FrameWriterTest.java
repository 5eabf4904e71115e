package io.protorpc.internal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.internal.buffer.SerializationArrays;
import io.protorpc.spi.Envelope;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The per-connection writer: order, skipping what ended before its turn, batching, failure. */
class FrameWriterTest {
  private final ManualExecutor io = new ManualExecutor();
  private final List<List<String>> writes = new ArrayList<>();
  private final List<IOException> failures = new ArrayList<>();
  private IOException nextFailure;
  private Runnable duringWrite; // another thread's work while a write is in progress
  private final ClientCall.Place place = new ClientCall.Place() {
    @Override
    public void remove(ClientCall call, boolean tellServer) { }

    @Override
    public String describeWait() {
      return "";
    }
  };
  private final FrameWriter writer = new FrameWriter(io, new FrameWriter.Sink() {
    @Override
    public void write(List<Envelope> frames) throws IOException {
      if (nextFailure != null) {
        throw nextFailure;
      }
      Runnable r = duringWrite;
      duringWrite = null;
      if (r != null) {
        r.run();
      }
      List<String> batch = new ArrayList<>();
      for (Envelope e : frames) {
        batch.add(e.kind() + " " + e.callId());
      }
      writes.add(batch);
    }

    @Override
    public void writeFailed(IOException cause) {
      failures.add(cause);
    }
  }, place);
  private final FakeClock clock = new FakeClock();
  private final List<Status> outcomes = new ArrayList<>();

  /**
   * Most tests check the queue, so they start with a frame the peer has not yet shown it read (a
   * ping): while there is one, no request is written on the caller's thread.
   */
  @BeforeEach
  void aFrameNotYetProvenRead() {
    writer.control(Envelope.control(Envelope.Kind.PING, 0, null, ByteBuffer.allocate(8)));
    io.runAll();
    writes.clear();
  }

  private ClientCall call(boolean oneWay) {
    ClientCall c = new ClientCall("s", "m", Metadata.empty(), ByteBuffer.allocate(1), "", 1, oneWay,
        false, 0, clock, (status, response) -> outcomes.add(status));
    c.moveTo(place, 1);
    return c;
  }

  private static Envelope request(long id) {
    return request(id, 1);
  }

  private static Envelope request(long id, int payloadBytes) {
    return Envelope.request(id, "s", "m", 0, Metadata.empty(), "",
        ByteBuffer.allocate(payloadBytes));
  }

  /** Writes request {@code id} through the I/O executor and has the peer answer it. */
  private void writtenAndAnswered(long id) {
    ClientCall c = call(false);
    writer.request(c, request(id));
    io.runAll();
    writer.answered(c);
    writes.clear();
  }

  private static Envelope cancel(long id) {
    return Envelope.control(Envelope.Kind.CANCEL, id, null, null);
  }

  /**
   * A request in a lent array: the call's end gives its share back, but the array stays out of
   * the pool until the write that was using it has returned; a request whose call ended before
   * its turn is not written, and its array is back at once.
   */
  @Test
  void aLentRequestArrayGoesBackOnlyOnceBothTheCallAndItsWriteAreDone() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    BytesValue message = BytesValue.newBuilder()
        .setValue(ByteString.copyFrom(new byte[100_000])).build();
    SerializationArrays.Lease lent = pool.serialize(message, message.getSerializedSize());
    ClientCall c = new ClientCall("s", "m", Metadata.empty(), lent.bytes(), "",
        message.getSerializedSize(), false, false, 0, clock,
        (status, response) -> outcomes.add(status)).payloadIn(lent);
    c.moveTo(place, 1);
    long[] idleDuringWrite = new long[1];
    duringWrite = () -> {
      c.cancel(); // the call ends while its request is being written
      idleDuringWrite[0] = pool.idleBytes();
    };
    writer.request(c, Envelope.request(1, "s", "m", 0, Metadata.empty(), "", c.payload()));
    io.runAll();
    assertEquals(List.of(List.of("REQUEST 1")), writes);
    assertEquals(0, idleDuringWrite[0], "not back in the pool while being written");
    assertEquals(lent.capacity(), pool.idleBytes(), "back once the write returned");

    SerializationArrays.Lease second = pool.serialize(message, message.getSerializedSize());
    ClientCall ended = new ClientCall("s", "m", Metadata.empty(), second.bytes(), "",
        message.getSerializedSize(), false, false, 0, clock,
        (status, response) -> outcomes.add(status)).payloadIn(second);
    ended.moveTo(place, 2);
    writer.request(ended, Envelope.request(2, "s", "m", 0, Metadata.empty(), "",
        ended.payload()));
    ended.cancel(); // before the writer's turn
    assertEquals(second.capacity(), pool.idleBytes());
    io.runAll();
    assertEquals(List.of(List.of("REQUEST 1")), writes, "an ended call's request is not written");
    assertFalse(ended.holdPayload(), "nothing may write it any more");
  }

  @Test
  void aSmallRequestIsWrittenOnTheCallersThreadOnceThePeerReadEverythingBefore() {
    writtenAndAnswered(1); // its answer shows the peer read the ping and request 1
    writer.request(call(false), request(2));
    assertEquals(List.of(List.of("REQUEST 2")), writes, "written at once, on this thread");
    assertEquals(0, io.queued(), "no hand-off to the I/O executor");
  }

  @Test
  void aLargeRequestOrAnUnansweredFrameBeforeItSendsItToTheIoExecutor() {
    writtenAndAnswered(1);
    writer.request(call(false), request(2, FrameWriter.WRITE_HERE_MAX_BYTES + 1));
    assertEquals(List.of(), writes, "a large request may wait for the peer: not on the caller");
    io.runAll();
    writes.clear();
    // request 2 is written but unanswered: the peer may not be reading
    writer.request(call(false), request(3));
    assertEquals(List.of(), writes);
    assertEquals(1, io.queued());
  }

  @Test
  void whatOthersQueueDuringAWriteOnTheCallersThreadIsLeftToTheIoExecutor() {
    writtenAndAnswered(1);
    duringWrite = () -> writer.request(call(false), request(3, 1 << 20)); // another caller
    writer.request(call(false), request(2));
    assertEquals(List.of(List.of("REQUEST 2")), writes, "the caller wrote its own request only");
    assertEquals(1, io.queued());
    io.runAll();
    assertEquals(List.of(List.of("REQUEST 2"), List.of("REQUEST 3")), writes);
  }

  @Test
  void queuingNeverWritesOnTheCallersThread() {
    writer.request(call(false), request(1));
    assertEquals(List.of(), writes);
    assertEquals(1, io.queued(), "one drain task, on the I/O executor");
    writer.request(call(false), request(2));
    assertEquals(1, io.queued(), "a drain already pending takes later frames too");
    io.runAll();
    assertEquals(List.of(List.of("REQUEST 1", "REQUEST 2")), writes, "one batch, in order");
  }

  @Test
  void aCancelQueuedBeforeItsRequestIsWrittenSkipsBoth() {
    ClientCall c = call(false);
    writer.request(c, request(1));
    c.cancel(); // the call ends before the writer's turn (its place is unset: nothing to remove)
    writer.cancel(c, cancel(1));
    io.runAll();
    assertEquals(List.of(), writes, "a request whose call ended was written, or its cancel alone");
  }

  @Test
  void aCancelAlwaysFollowsItsRequest() {
    ClientCall c = call(false);
    writer.request(c, request(1));
    io.runAll();
    c.cancel();
    writer.cancel(c, cancel(1));
    io.runAll();
    assertEquals(List.of(List.of("REQUEST 1"), List.of("CANCEL 1")), writes);
  }

  @Test
  void aOneWayCallCompletesOnceWrittenOrFailsWithTheWrite() {
    ClientCall ok = call(true);
    writer.oneWay(ok, request(1));
    assertEquals(List.of(), outcomes);
    io.runAll();
    assertEquals(List.of(Status.OK), outcomes);

    nextFailure = new IOException("broken pipe");
    ClientCall lost = call(true);
    writer.oneWay(lost, request(2));
    io.runAll();
    assertEquals(StatusCode.UNAVAILABLE, outcomes.get(1).code());
    assertTrue(outcomes.get(1).message().contains("broken pipe"));
    assertEquals(1, failures.size(), "the connection was not told its write failed");
  }

  @Test
  void withNoThreadToWriteOnOneWayCallsStillEnd() {
    io.shutDown();
    ClientCall c = call(true);
    writer.oneWay(c, request(1));
    assertEquals(1, outcomes.size());
    assertEquals(StatusCode.UNAVAILABLE, outcomes.get(0).code());
    assertEquals(1, failures.size());
  }

  @Test
  void batchesAreBounded() {
    for (int i = 1; i <= FrameWriter.MAX_BATCH_FRAMES + 1; i++) {
      writer.request(call(false), request(i));
    }
    io.runAll();
    assertEquals(2, writes.size());
    assertEquals(FrameWriter.MAX_BATCH_FRAMES, writes.get(0).size());
  }
}
