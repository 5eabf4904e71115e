package io.protorpc.internal.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BytesValue;
import com.google.protobuf.ByteString;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SerializationArraysTest {

  private static BytesValue message(int payloadBytes, long seed) {
    byte[] b = new byte[payloadBytes];
    new Random(seed).nextBytes(b);
    return BytesValue.newBuilder().setValue(ByteString.copyFrom(b)).build();
  }

  private static SerializationArrays.Lease lend(SerializationArrays pool, BytesValue m)
      throws Exception {
    return pool.serialize(m, m.getSerializedSize());
  }

  private static byte[] bytesOf(SerializationArrays.Lease lease) {
    ByteBuffer b = lease.bytes();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static byte[] arrayOf(SerializationArrays.Lease lease) {
    return lease.bytes().array();
  }

  @Test
  void serializesExactlyWhatToByteArrayWould() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    for (int payload : new int[] {8 * 1024, 64 * 1024, 100_000, 1 << 20}) {
      BytesValue m = message(payload, payload);
      SerializationArrays.Lease lease = lend(pool, m);
      assertNotNull(lease, payload + " bytes are pooled");
      assertArrayEquals(m.toByteArray(), bytesOf(lease));
      assertTrue(lease.capacity() >= m.getSerializedSize());
      lease.release();
    }
  }

  @Test
  void smallMessagesAndMessagesLargerThanTheIdleBoundAreNotPooled() throws Exception {
    SerializationArrays pool = new SerializationArrays(1 << 20);
    BytesValue small = message(SerializationArrays.MIN_POOLED_BYTES - 100, 1);
    assertNull(lend(pool, small));
    BytesValue huge = message((1 << 20) + 1, 2);
    assertNull(lend(pool, huge));
    assertEquals(0, pool.idleBytes());
  }

  @Test
  void sizesRoundUpByAtMostAnEighthAndEveryArrayFitsItsOwnClass() {
    Random r = new Random(7);
    for (int i = 0; i < 100_000; i++) {
      int size = SerializationArrays.MIN_POOLED_BYTES + r.nextInt(64 << 20);
      int capacity = SerializationArrays.capacityFor(size);
      assertTrue(capacity >= size, () -> size + " -> " + capacity);
      assertTrue(capacity - size <= size / 8 + 1, () -> size + " -> " + capacity);
      // an array given back goes to the class its own size falls in: the same one
      assertEquals(capacity, SerializationArrays.capacityFor(capacity));
    }
    assertEquals(8 * 1024, SerializationArrays.capacityFor(8 * 1024));
    assertEquals(72 * 1024, SerializationArrays.capacityFor(64 * 1024 + 4));
    assertEquals(1152 * 1024, SerializationArrays.capacityFor((1 << 20) + 6));
  }

  @Test
  void anArrayGivenBackServesTheNextMessageOfItsSize() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    BytesValue m = message(300_000, 1);
    SerializationArrays.Lease first = lend(pool, m);
    byte[] array = arrayOf(first);
    first.release();
    assertEquals(array.length, pool.idleBytes());
    BytesValue other = message(300_100, 2); // another size in the same step
    SerializationArrays.Lease second = lend(pool, other);
    assertSame(array, arrayOf(second));
    assertEquals(0, pool.idleBytes());
    assertArrayEquals(other.toByteArray(), bytesOf(second));
    second.release();
  }

  @Test
  void anArrayIsNotLentAgainWhileAWriterStillHoldsIt() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    BytesValue m = message(200_000, 1);
    SerializationArrays.Lease call = lend(pool, m);
    assertTrue(call.retain()); // the writer's share
    call.release(); // the call ended while its request was being written
    assertEquals(0, pool.idleBytes(), "still written: not given back");
    SerializationArrays.Lease next = lend(pool, m);
    assertNotSame(arrayOf(call), arrayOf(next));
    assertArrayEquals(m.toByteArray(), bytesOf(call), "the writer's bytes are untouched");
    call.release(); // the write returned
    assertEquals(call.capacity(), pool.idleBytes());
    next.release();
  }

  @Test
  void noShareAfterTheLastReleaseAndNothingIsGivenBackTwice() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    BytesValue m = message(50_000, 1);
    SerializationArrays.Lease lease = lend(pool, m);
    lease.release();
    assertFalse(lease.retain(), "a writer that comes after the call ended gets no share");
    assertThrows(IllegalStateException.class, lease::release);
    assertEquals(lease.capacity(), pool.idleBytes(), "given back once");
    SerializationArrays.Lease a = lend(pool, m);
    SerializationArrays.Lease b = lend(pool, m);
    assertNotSame(arrayOf(a), arrayOf(b), "one idle array is lent to one message only");
    a.release();
    b.release();
  }

  @Test
  void idleArraysStayWithinTheBound() throws Exception {
    long bound = 1 << 20;
    SerializationArrays pool = new SerializationArrays(bound);
    BytesValue m = message(300_000, 1);
    List<SerializationArrays.Lease> leases = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      leases.add(lend(pool, m));
    }
    leases.forEach(SerializationArrays.Lease::release);
    int capacity = leases.get(0).capacity();
    assertEquals(bound / capacity * capacity, pool.idleBytes());
    assertTrue(pool.idleBytes() <= bound);
  }

  /** The pool keeps idle arrays only weakly: a full collection takes them. */
  @Test
  void idleArraysAreLeftForTheCollectorToTake() throws Exception {
    SerializationArrays pool = new SerializationArrays(64 << 20);
    BytesValue m = message(1 << 20, 1);
    SerializationArrays.Lease lease = lend(pool, m);
    WeakReference<byte[]> array = new WeakReference<>(arrayOf(lease));
    lease.release();
    lease = null;
    for (int i = 0; i < 20 && array.get() != null; i++) {
      System.gc();
      Thread.sleep(10);
    }
    assertNull(array.get(), "an idle array outlived full collections");
    SerializationArrays.Lease next = lend(pool, m);
    assertEquals(0, pool.idleBytes(), "the collected array is no longer counted");
    assertArrayEquals(m.toByteArray(), bytesOf(next));
    next.release();
  }

  @Test
  void aMessageThatDoesNotWriteItsSizeGivesTheArrayBack() throws Exception {
    SerializationArrays pool = new SerializationArrays(16 << 20);
    BytesValue m = message(20_000, 1);
    assertThrows(Exception.class, () -> pool.serialize(m, m.getSerializedSize() + 10));
    assertEquals(SerializationArrays.capacityFor(m.getSerializedSize() + 10), pool.idleBytes());
  }

  /**
   * Threads lease, share and release arrays of a few sizes at once; each checks that the bytes of
   * its message are still its own after every other thread had the chance to write, until it
   * releases its last share.
   */
  @Test
  void concurrentHoldersNeverSeeTheirBytesOverwritten() throws Exception {
    SerializationArrays pool = new SerializationArrays(4 << 20);
    int threads = 4;
    int rounds = 300;
    Map<String, String> problems = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread thread = new Thread(() -> {
        try {
          Random r = new Random(id);
          for (int i = 0; i < rounds && problems.isEmpty(); i++) {
            BytesValue m = message(10_000 + r.nextInt(3) * 70_000, id * 1000L + i);
            byte[] expected = m.toByteArray();
            SerializationArrays.Lease lease = pool.serialize(m, expected.length);
            if (!lease.retain()) { // the writer's share
              problems.put(id + "/" + i, "no share of a lease still held");
            }
            boolean callEndsFirst = r.nextBoolean();
            if (callEndsFirst) {
              lease.release(); // the writer's share keeps the array
            }
            Thread.yield();
            if (!java.util.Arrays.equals(expected, bytesOf(lease))) {
              problems.put(id + "/" + i, "bytes changed while held");
            }
            lease.release(); // the write returned
            if (!callEndsFirst) {
              lease.release();
            }
          }
        } catch (Exception | Error e) {
          problems.put("thread " + id, e.toString());
        } finally {
          done.countDown();
        }
      });
      thread.start();
    }
    assertTrue(done.await(60, TimeUnit.SECONDS));
    assertEquals(Map.of(), problems);
    assertTrue(pool.idleBytes() <= 4 << 20);
  }
}
