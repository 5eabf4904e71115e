package io.protorpc.fuzz;

import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/**
 * Bytes allocated on the heap by the current thread, so a target can check that a decoder's memory
 * follows what the peer actually sent and the configured limit, not a size the peer merely
 * claimed. The JVM counts this per thread (HotSpot: per object); where it cannot, the checks are
 * skipped and the small test heap ({@code -Xmx128m}) remains the backstop.
 *
 * <p>A measurement during which a class was loaded is not judged: loading (and, under Jazzer,
 * instrumenting) a class allocates megabytes on the loading thread, which says nothing about the
 * decoder. The next input that takes the same path is measured, the classes being loaded by then.
 */
public final class Allocations {
  private static final com.sun.management.ThreadMXBean THREADS = threads();
  private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();

  /**
   * Allowance for fixed costs (exception objects and their stack traces, first calls through
   * lambdas and string concatenation), independent of input size.
   */
  public static final long SLACK = 256 * 1024;

  private Allocations() {}

  /** A point to measure from: the thread's allocation counter and the classes loaded so far. */
  public record Mark(long bytes, long classes) {}

  private static com.sun.management.ThreadMXBean threads() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
        && t.isThreadAllocatedMemorySupported()) {
      if (!t.isThreadAllocatedMemoryEnabled()) {
        t.setThreadAllocatedMemoryEnabled(true);
      }
      return t;
    }
    return null;
  }

  /** Now, as a point to measure from. */
  public static Mark now() {
    return new Mark(THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes(),
        CLASSES.getTotalLoadedClassCount());
  }

  /**
   * Fails if more than {@code bound} bytes were allocated on this thread since {@code start},
   * unless that cannot be judged (no counter, or classes were loaded meanwhile).
   *
   * @return whether the measurement was judged
   */
  public static boolean assertAtMost(Mark start, long bound, Supplier<String> what) {
    long used = THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes() - start.bytes();
    if (start.bytes() < 0 || CLASSES.getTotalLoadedClassCount() != start.classes()) {
      return false;
    }
    if (used > bound) {
      throw new AssertionError(what.get() + " allocated " + used + " bytes, more than the bound of "
          + bound + " bytes");
    }
    return true;
  }

  /** Something to measure; it may throw, which its caller checks. */
  public interface Action {
    void run() throws Exception;
  }

  /**
   * Runs {@code action} until one run is judged by {@link #assertAtMost} (at most three times: the
   * first run may load classes) and fails if none could be, unless this JVM keeps no counter.
   */
  public static void assertEachRunAtMost(long bound, Supplier<String> what, Action action)
      throws Exception {
    for (int attempt = 0; attempt < 3; attempt++) {
      Mark start = now();
      action.run();
      if (assertAtMost(start, bound, what)) {
        return;
      }
    }
    if (THREADS != null) {
      throw new AssertionError(what.get() + ": classes kept loading, memory never measured");
    }
  }
}
