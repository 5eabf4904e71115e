package io.protorpc.spi;

import java.lang.reflect.Method;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Thread factories for the core and for transports: virtual threads where the JDK has them (21+),
 * daemon platform threads otherwise. protorpc is built for Java 17, so virtual threads are
 * reached reflectively (once per factory, not per thread).
 */
public final class Threads {
  private static final Method OF_VIRTUAL;
  private static final Method BUILDER_NAME;
  private static final Method BUILDER_FACTORY;

  static {
    Method ofVirtual = null;
    Method name = null;
    Method factory = null;
    try {
      Class<?> builder = Class.forName("java.lang.Thread$Builder");
      ofVirtual = Thread.class.getMethod("ofVirtual");
      name = builder.getMethod("name", String.class, long.class);
      factory = builder.getMethod("factory");
    } catch (ReflectiveOperationException e) {
      ofVirtual = null; // JDK 17-20: no virtual threads
    }
    OF_VIRTUAL = ofVirtual;
    BUILDER_NAME = name;
    BUILDER_FACTORY = factory;
  }

  private Threads() {}

  /** True when this JDK has virtual threads. */
  public static boolean hasVirtualThreads() {
    return OF_VIRTUAL != null;
  }

  /**
   * Virtual threads named {@code prefix-N} on JDK 21+, else daemon platform threads. For work that
   * blocks (a connection's reader, a blocking handler).
   */
  public static ThreadFactory virtualOrDaemon(String prefix) {
    if (OF_VIRTUAL != null) {
      try {
        Object builder = OF_VIRTUAL.invoke(null);
        builder = BUILDER_NAME.invoke(builder, prefix + "-", 1L);
        return (ThreadFactory) BUILDER_FACTORY.invoke(builder);
      } catch (ReflectiveOperationException e) {
        // fall through to platform threads: virtual threads are an optimisation only
      }
    }
    return daemon(prefix);
  }

  /** Daemon platform threads named {@code prefix-N}. */
  public static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
