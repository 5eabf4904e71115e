package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ClassLoadingMXBean;
import java.lang.management.ManagementFactory;

/**
 * Heap bytes the current thread allocates while something runs, as HotSpot counts them per
 * thread: how the suites check that a decoder's memory follows the bytes that arrived, not a size
 * the peer merely claimed (docs/security.md). Direct buffers are not on the heap and not counted.
 */
final class AllocationMeter {
  /**
   * Allowance for fixed costs independent of the input (exceptions, first calls through lambdas
   * and string concatenation, a decoder's own small buffers).
   */
  static final long SLACK = 256 * 1024;

  private static final com.sun.management.ThreadMXBean THREADS =
      ManagementFactory.getPlatformMXBean(com.sun.management.ThreadMXBean.class);
  private static final ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();

  private AllocationMeter() {}

  /** Something to measure; run afresh on every attempt. */
  interface Action {
    void run() throws Exception;
  }

  /**
   * Bytes that {@code action} allocated on this thread. A run during which a class was loaded is
   * not counted (loading allocates on the loading thread and says nothing about the plugin); it
   * is run again, at most three times in all.
   */
  static long bytesAllocatedBy(Action action) throws Exception {
    assertTrue(THREADS != null && THREADS.isThreadAllocatedMemorySupported(), "this JVM does "
        + "not count allocated bytes per thread (com.sun.management.ThreadMXBean); run the "
        + "suite on HotSpot");
    THREADS.setThreadAllocatedMemoryEnabled(true);
    for (int attempt = 0; attempt < 3; attempt++) {
      long classes = CLASSES.getTotalLoadedClassCount();
      long before = THREADS.getCurrentThreadAllocatedBytes();
      action.run();
      long used = THREADS.getCurrentThreadAllocatedBytes() - before;
      if (CLASSES.getTotalLoadedClassCount() == classes) {
        return used;
      }
    }
    return fail("classes kept loading during three runs: memory never measured");
  }
}
