package io.protorpc.transport.socket;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Arrays of one size lent to connections while they move bytes and taken back when they go idle,
 * so an idle connection holds none. Keeps at most a few spare arrays; beyond that, returned arrays
 * are left to the garbage collector. Thread-safe.
 */
final class ByteArrayPool {
  private final int size;
  private final ArrayBlockingQueue<byte[]> spare;

  ByteArrayPool(int size, int maxSpare) {
    this.size = size;
    this.spare = new ArrayBlockingQueue<>(maxSpare);
  }

  int size() {
    return size;
  }

  /** A spare array, or a new one. Its contents are whatever its last user left. */
  byte[] take() {
    byte[] a = spare.poll();
    return a != null ? a : new byte[size];
  }

  /** Returns an array taken from this pool; the caller must not touch it after. */
  void give(byte[] a) {
    spare.offer(a);
  }
}
