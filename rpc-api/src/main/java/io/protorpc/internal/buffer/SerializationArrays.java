package io.protorpc.internal.buffer;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Arrays that outgoing messages of {@link #MIN_POOLED_BYTES} or more are serialized into, lent
 * for one message and taken back for the next once nothing uses them any more, instead of a new
 * array per message ({@code toByteArray()}). Large arrays are expensive to make: with G1's 1 MiB
 * regions (heaps up to 2 GiB) every array of 512 KiB or more is a humongous allocation, zeroed
 * and reclaimed only by a collection.
 *
 * <p>An array in use is the message's own memory, counted by whoever holds the message (the
 * server's and the client's memory budgets, at the array's {@link Lease#capacity()}). Only idle
 * arrays belong to the pool, and the pool keeps them only weakly and only so many: at most {@code
 * idleLimit} bytes of them (by default 1/64 of the max heap; an array given back beyond that is
 * dropped), and a garbage collection may take any idle array. So the pool never holds memory the
 * collector needs, and the heap after a full collection is what the calls in flight hold. Messages
 * larger than {@code idleLimit} are never pooled.
 *
 * <p>Sizes are rounded up to one of eight steps per power of two (a 1 MiB + 6 byte message gets
 * a 1.125 MiB array), so an array fits any message of its step and at most an eighth is unused.
 *
 * <p>Thread-safe.
 */
public final class SerializationArrays {
  /** Smaller messages get arrays of their own: cheap to make, and not worth a pool's upkeep. */
  public static final int MIN_POOLED_BYTES = 8 * 1024;
  /** The default bound on idle arrays: this share of the max heap. */
  static final int DEFAULT_HEAP_DIVISOR = 64;
  /** Size classes: eight per power of two, from (2^12, 2^13] up to (2^30, 2^31). */
  private static final int FIRST_POWER = 12;
  private static final int STEPS = 8;
  private static final int CLASSES = (31 - FIRST_POWER) * STEPS;

  private static final SerializationArrays SHARED =
      new SerializationArrays(Runtime.getRuntime().maxMemory() / DEFAULT_HEAP_DIVISOR);

  private final long idleLimit;
  private final AtomicLong idleBytes = new AtomicLong();
  /** Idle arrays by size class, most recently given back first; counted in idleBytes. */
  private final ConcurrentLinkedDeque<IdleArray>[] idle;

  /** @param idleLimit the most bytes of idle arrays kept for reuse */
  @SuppressWarnings("unchecked")
  public SerializationArrays(long idleLimit) {
    if (idleLimit < 0) {
      throw new IllegalArgumentException("idleLimit must be >= 0: " + idleLimit);
    }
    this.idleLimit = idleLimit;
    this.idle = new ConcurrentLinkedDeque[CLASSES];
    for (int i = 0; i < CLASSES; i++) {
      idle[i] = new ConcurrentLinkedDeque<>();
    }
  }

  /** The pool the process's clients and servers share. */
  public static SerializationArrays shared() {
    return SHARED;
  }

  /**
   * Serializes {@code message}, whose {@link MessageLite#getSerializedSize()} is {@code size},
   * into a lent array; null (nothing lent, nothing written) when messages of that size are not
   * pooled, so that the caller serializes it the usual way.
   *
   * @throws IOException if the message writes other than {@code size} bytes (the array is then
   *     given back)
   */
  public Lease serialize(MessageLite message, int size) throws IOException {
    if (size < MIN_POOLED_BYTES || size > idleLimit) {
      return null;
    }
    int sizeClass = sizeClass(size);
    byte[] array = null;
    IdleArray spare;
    while (array == null && (spare = idle[sizeClass].pollFirst()) != null) {
      idleBytes.addAndGet(-spare.length);
      array = spare.get(); // null if a collection took it
    }
    if (array == null) {
      array = new byte[capacityOf(sizeClass)];
    }
    Lease lease = new Lease(this, array, size);
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(array, 0, size);
      message.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException | RuntimeException | Error e) {
      lease.release();
      throw e;
    }
    return lease;
  }

  /** Bytes of idle arrays kept for reuse (some of which a collection may have taken since). */
  public long idleBytes() {
    return idleBytes.get();
  }

  /** The array size used for messages of {@code size} bytes (at least MIN_POOLED_BYTES). */
  static int capacityFor(int size) {
    return capacityOf(sizeClass(size));
  }

  private static int sizeClass(int size) {
    int power = 31 - Integer.numberOfLeadingZeros(size - 1); // 2^power < size <= 2^(power+1)
    int step = (size - 1) >> (power - 3); // 8..15: which eighth of the next power
    return (power - FIRST_POWER) * STEPS + step - STEPS;
  }

  private static int capacityOf(int sizeClass) {
    int power = FIRST_POWER + sizeClass / STEPS;
    long capacity = (long) (sizeClass % STEPS + STEPS + 1) << (power - 3);
    return (int) Math.min(capacity, Integer.MAX_VALUE - 8); // the largest array a JVM makes
  }

  /** Keeps an array no lease uses any more, unless that would pass the idle bound. */
  private void giveBack(byte[] array) {
    if (idleBytes.get() + array.length > idleLimit) {
      forgetCollected(); // arrays a collection took still count until found
    }
    if (idleBytes.addAndGet(array.length) > idleLimit) {
      idleBytes.addAndGet(-array.length); // over the bound: left to the garbage collector
      return;
    }
    // last in, first out: the array most likely still in the caches
    idle[sizeClass(array.length)].offerFirst(new IdleArray(array));
  }

  /** Stops counting idle arrays that a garbage collection has taken. */
  private void forgetCollected() {
    for (ConcurrentLinkedDeque<IdleArray> arrays : idle) {
      for (IdleArray a : arrays) {
        if (a.get() == null && arrays.removeFirstOccurrence(a)) {
          idleBytes.addAndGet(-a.length);
        }
      }
    }
  }

  /** An idle array, weakly kept, with its size (which stays known once it is collected). */
  private static final class IdleArray extends WeakReference<byte[]> {
    final int length;

    IdleArray(byte[] array) {
      super(array);
      this.length = array.length;
    }
  }

  /**
   * One message serialized into a lent array. Its holders — the message's owner, and each writer
   * while it writes it — each hold a share; the array goes back to the pool when the last share
   * is released, and never before: a writer that asks for a share after that gets none ({@link
   * #retain()} returns false) and must not touch the bytes. Thread-safe.
   */
  public static final class Lease {
    private final SerializationArrays pool;
    private final byte[] array;
    private final int size;
    private final AtomicInteger holders = new AtomicInteger(1);

    private Lease(SerializationArrays pool, byte[] array, int size) {
      this.pool = pool;
      this.array = array;
      this.size = size;
    }

    /** The serialized message: a new buffer over the lent array each time. */
    public ByteBuffer bytes() {
      return ByteBuffer.wrap(array, 0, size);
    }

    /** The lent array's size: the memory this lease holds. */
    public int capacity() {
      return array.length;
    }

    /**
     * Takes one more share of the array, unless every share was released already (the array may
     * then hold another message): true if taken, and then {@link #release()} must follow once.
     */
    public boolean retain() {
      while (true) {
        int n = holders.get();
        if (n == 0) {
          return false;
        }
        if (holders.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }

    /**
     * Gives up one share; the last one gives the array back to the pool.
     *
     * @throws IllegalStateException if every share was released already (nothing is given back
     *     twice)
     */
    public void release() {
      while (true) {
        int n = holders.get();
        if (n == 0) {
          throw new IllegalStateException("serialization array released more often than held");
        }
        if (holders.compareAndSet(n, n - 1)) {
          if (n == 1) {
            pool.giveBack(array);
          }
          return;
        }
      }
    }
  }
}
