package io.protorpc.transport.socket;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Writes and checks self-describing records, to catch interleaved writes: each record is {@code
 * [int length][int thread][int seq][filler]} where {@code length} counts the bytes after it and
 * the filler's size and bytes follow from (thread, seq). The parser is fed by one reader thread.
 */
final class RecordParser {
  private static final int HEADER = 12;
  private static final int MAX_FILLER = 300;

  private final int[] nextSeq;
  private final CountDownLatch remaining;
  private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
  private ByteBuffer pending = ByteBuffer.allocate(64 * 1024); // write mode; reader thread only
  private volatile int count;
  private boolean lost; // a length made no sense: the stream cannot be followed any further

  RecordParser(int threads, int expectedRecords) {
    this.nextSeq = new int[threads];
    this.remaining = new CountDownLatch(expectedRecords);
  }

  /** One record as two buffers (header, filler), heap or direct by turns, for one write call. */
  static ByteBuffer[] record(int thread, int seq) {
    int fillerSize = fillerSize(thread, seq);
    ByteBuffer header = ByteBuffer.allocate(HEADER)
        .putInt(8 + fillerSize).putInt(thread).putInt(seq).flip();
    ByteBuffer filler = seq % 2 == 0
        ? ByteBuffer.allocate(fillerSize) : ByteBuffer.allocateDirect(fillerSize);
    for (int i = 0; i < fillerSize; i++) {
      filler.put(fillerByte(thread, seq, i));
    }
    return new ByteBuffer[] {header, filler.flip()};
  }

  private static int fillerSize(int thread, int seq) {
    return (thread * 31 + seq * 7) % MAX_FILLER;
  }

  private static byte fillerByte(int thread, int seq, int i) {
    return (byte) (thread * 17 + seq + i);
  }

  /** Consumes a chunk of the stream, checking each record it completes. */
  void feed(ByteBuffer data) {
    if (lost) {
      return;
    }
    if (pending.remaining() < data.remaining()) {
      ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2,
          pending.position() + data.remaining()));
      pending = bigger.put(pending.flip());
    }
    pending.put(data);
    pending.flip();
    while (pending.remaining() >= 4) {
      int length = pending.getInt(pending.position());
      if (length < 8 || length >= 8 + MAX_FILLER) {
        errors.add("record length " + length + " after " + count + " records (interleaved write?)");
        lost = true;
        for (long n = remaining.getCount(); n > 0; n--) {
          remaining.countDown(); // fail now, not after the test's time limit
        }
        return;
      }
      if (pending.remaining() < 4 + length) {
        break;
      }
      pending.getInt();
      byte[] body = new byte[length];
      pending.get(body);
      check(ByteBuffer.wrap(body));
    }
    pending.compact();
  }

  private void check(ByteBuffer body) {
    int thread = body.getInt();
    int seq = body.getInt();
    if (thread < 0 || thread >= nextSeq.length) {
      errors.add("record with bad thread " + thread + " (interleaved write?)");
      return;
    }
    if (seq != nextSeq[thread]) {
      errors.add("thread " + thread + ": seq " + seq + " where " + nextSeq[thread] + " was due");
    }
    nextSeq[thread] = seq + 1;
    byte[] filler = new byte[body.remaining()];
    body.get(filler);
    byte[] expected = new byte[fillerSize(thread, seq)];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = fillerByte(thread, seq, i);
    }
    if (!Arrays.equals(expected, filler)) {
      errors.add("thread " + thread + " seq " + seq + ": filler damaged");
    }
    count++;
    remaining.countDown();
  }

  boolean awaitAll(Duration timeout) throws InterruptedException {
    return remaining.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  int count() {
    return count;
  }

  List<String> errors() {
    return List.copyOf(errors);
  }
}
