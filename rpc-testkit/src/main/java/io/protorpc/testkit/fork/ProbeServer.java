package io.protorpc.testkit.fork;

import io.protorpc.RpcServer;
import io.protorpc.testkit.TestServiceImpl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordingStream;

/**
 * The server that RobustnessSuite's probes attack, run in a JVM of its own with a capped heap:
 * serves the test service with every setting at its default over the transport named by the
 * first argument, prints {@code port N}, then answers commands read from standard input, one a
 * line:
 *
 * <ul>
 *   <li>{@code stats} prints {@code stats <live heap bytes> <threads> <connections> <calls>
 *       <memory budget in use>}: the heap after full collections, the JVM's live platform threads;
 *   <li>{@code errors} prints {@code errors <n>}: how many OutOfMemoryErrors were constructed in
 *       this JVM so far, caught or not (JFR's {@code jdk.JavaExceptionThrow} events, counted after
 *       JFR's next flushes: a few seconds); those the JVM itself raises are never constructed, and
 *       end it instead ({@code -XX:+ExitOnOutOfMemoryError});
 *   <li>{@code selftest} constructs one OutOfMemoryError, never thrown, so the caller can see the
 *       count work;
 *   <li>{@code exit} stops the server and the JVM; so does the end of standard input.
 * </ul>
 *
 * Not an API.
 */
public final class ProbeServer {
  private static final AtomicLong OUT_OF_MEMORY_ERRORS = new AtomicLong();
  private static final AtomicLong FLUSHES = new AtomicLong();

  private ProbeServer() {}

  public static void main(String[] args) throws Exception {
    RecordingStream errors = new RecordingStream();
    // OutOfMemoryErrors come as jdk.JavaExceptionThrow (jdk.JavaErrorThrow leaves them out); JDK
    // 25 emits neither unless jdk.JavaErrorThrow is enabled too
    errors.enable("jdk.JavaExceptionThrow").withoutStackTrace();
    errors.enable("jdk.JavaErrorThrow").withoutStackTrace();
    errors.onEvent("jdk.JavaExceptionThrow", e -> {
      RecordedClass thrown = e.getClass("thrownClass");
      if (thrown != null && isOutOfMemoryError(thrown.getName())) {
        OUT_OF_MEMORY_ERRORS.incrementAndGet();
      }
    });
    errors.onFlush(FLUSHES::incrementAndGet);
    errors.startAsync();
    awaitFlushes(2); // JDK 17's first flushes may come before the stream delivers events
    RpcServer server = RpcServer.builder().transport(args[0])
        .addService(new TestServiceImpl().asService()).start();
    System.out.println("port " + server.port());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    String line;
    while ((line = in.readLine()) != null && !line.equals("exit")) {
      switch (line) {
        case "stats" -> {
          long live = Long.MAX_VALUE;
          for (int i = 0; i < 3; i++) {
            System.gc();
            live = Math.min(live, memory.getHeapMemoryUsage().getUsed());
          }
          System.out.println("stats " + live + " " + threads.getThreadCount() + " "
              + server.connectionCount() + " " + server.callsInFlight() + " "
              + server.memoryInUse());
        }
        case "errors" -> {
          awaitFlushes(3); // so that every event before the command has been consumed
          System.out.println("errors " + OUT_OF_MEMORY_ERRORS.get());
        }
        case "selftest" -> {
          new OutOfMemoryError("ProbeServer self-test: counted, never thrown").getMessage();
          System.out.println("selftest");
        }
        default -> System.out.println("unknown command " + line);
      }
      System.out.flush();
    }
    server.close();
    errors.close();
    System.exit(0);
  }

  /** Waits (at most 10 s) until JFR has flushed {@code count} more times. */
  private static void awaitFlushes(int count) throws InterruptedException {
    long target = FLUSHES.get() + count;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (FLUSHES.get() < target && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static boolean isOutOfMemoryError(String className) {
    try {
      return OutOfMemoryError.class.isAssignableFrom(
          Class.forName(className, false, ProbeServer.class.getClassLoader()));
    } catch (ClassNotFoundException | LinkageError e) {
      return className.endsWith("OutOfMemoryError") || className.endsWith("OutOfDirectMemoryError");
    }
  }
}
