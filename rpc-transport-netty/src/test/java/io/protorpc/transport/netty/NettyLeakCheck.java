package io.protorpc.transport.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a buffer that was garbage collected
 * without being released. Put it on every test class that runs Netty code
 * ({@code @ExtendWith(NettyLeakCheck.class)}): loading it installs a detector factory that
 * records reports, which must happen before Netty creates its buffer detector, i.e. before the
 * first buffer is allocated. After each class it collects garbage and allocates a little, which
 * is what makes the detector look for leaked buffers, and asserts that it found none.
 *
 * <p>The build runs with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is
 * tracked; the level is also set here, for runs that bypass the build's argLine.
 */
final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
  private static final int COLLECTION_ROUNDS = 5;
  private static final List<String> LEAKS = new ArrayList<>(); // guarded by itself
  /** Resource types whose detector came from our factory. */
  private static final Set<String> RECORDING = ConcurrentHashMap.newKeySet();

  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    assertEquals(ResourceLeakDetector.Level.PARANOID, ResourceLeakDetector.getLevel());
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    for (int round = 0; round < COLLECTION_ROUNDS; round++) {
      System.gc();
      Thread.sleep(20); // lets the reference handler enqueue what the collection found
      for (int i = 0; i < 8; i++) {
        // each tracked allocation first drains the queue of collected, unreleased buffers
        ByteBufAllocator.DEFAULT.directBuffer(16).release();
        ByteBufAllocator.DEFAULT.heapBuffer(16).release();
      }
    }
    assertTrue(RECORDING.contains(ByteBuf.class.getSimpleName()),
        () -> "buffers were not tracked by the recording detector (it must be installed before "
            + "Netty allocates its first buffer); recording: " + RECORDING);
    List<String> leaks;
    synchronized (LEAKS) {
      leaks = List.copyOf(LEAKS);
      LEAKS.clear();
    }
    assertEquals(List.of(), leaks, "Netty reported leaked buffers");
  }

  private static void record(String report) {
    synchronized (LEAKS) {
      LEAKS.add(report);
    }
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation") // abstract in the factory, so it must be implemented
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource,
        int samplingInterval, long maxActive) {
      return newResourceLeakDetector(resource, samplingInterval);
    }

    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource,
        int samplingInterval) {
      RECORDING.add(resource.getSimpleName());
      return new RecordingDetector<>(resource, samplingInterval);
    }
  }

  /** Netty's detector, but every report is also kept for the assertion. */
  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true; // report even when Netty's logger has errors turned off
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      record(resourceType + " leaked:" + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      record(resourceType + " leaked (untraced)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
