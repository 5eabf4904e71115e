package io.protorpc.codec.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PoolTest {
  private final AtomicInteger created = new AtomicInteger();
  private final List<Object> released = new ArrayList<>();
  private final Pool<Object> pool = new Pool<>(2, () -> {
    created.incrementAndGet();
    return new Object();
  }, released::add);

  @Test
  void sequentialUsesShareOneObject() throws IOException {
    Object first = pool.use(o -> o);
    for (int i = 0; i < 100; i++) {
      assertSame(first, pool.use(o -> o));
    }
    assertEquals(1, created.get());
  }

  @Test
  void idleObjectsBeyondCapacityAreReleased() {
    List<Object> taken = List.of(pool.take(), pool.take(), pool.take());
    taken.forEach(pool::give);
    assertEquals(2, pool.idleCount());
    assertEquals(1, released.size());
    pool.drain();
    assertEquals(0, pool.idleCount());
    assertEquals(3, released.size());
  }

  @Test
  void objectWhoseWorkFailedIsDiscardedNotReused() {
    Object[] seen = new Object[1];
    assertThrows(IOException.class, () -> pool.use(o -> {
      seen[0] = o;
      throw new IOException("boom");
    }));
    assertEquals(List.of(seen[0]), released);
    assertEquals(0, pool.idleCount());
  }
}
