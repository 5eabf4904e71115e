package io.protorpc.testkit;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A protorpc server in a JVM of its own ({@code io.protorpc.testkit.fork.ProbeServer}), with a
 * capped heap and {@code -XX:+ExitOnOutOfMemoryError}: any OutOfMemoryError the JVM raises, even
 * one some library catches and swallows, ends the process with exit code 3, which every method
 * here reports as a failure. Those that code constructs and throws (a library's "direct buffer
 * memory", say), which that flag does not see, are counted by JFR in the fork: {@link
 * #outOfMemoryErrors()}. The fork gets this JVM's class and module path on its class path, so
 * it finds the transport under test through {@code META-INF/services}.
 */
final class ForkedServer implements AutoCloseable {
  /** What the fork reports: see ProbeServer. */
  record Stats(long liveHeapBytes, int threads, int connections, int calls, long memoryInUse) {}

  private static final long REPLY_SECONDS = 30;

  private final Process process;
  private final Writer commands;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final File stderr;
  private final InetSocketAddress address;

  ForkedServer(String transport, String maxHeap) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.add("-Xmx" + maxHeap);
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(classPath());
    command.add("io.protorpc.testkit.fork.ProbeServer");
    command.add(transport);
    stderr = File.createTempFile("protorpc-probe-server", ".log");
    stderr.deleteOnExit();
    process = new ProcessBuilder(command).redirectError(stderr).start();
    commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readLines, "probe-server-stdout");
    reader.setDaemon(true);
    reader.start();
    String first = next("its port");
    if (!first.startsWith("port ")) {
      throw failure("said '" + first + "' instead of its port");
    }
    address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
        Integer.parseInt(first.substring(5).trim()));
  }

  /** This JVM's class path and module path, as one class path. */
  private static String classPath() {
    StringBuilder cp = new StringBuilder();
    for (String p : new String[] {System.getProperty("jdk.module.path"),
        System.getProperty("java.class.path")}) {
      if (p != null && !p.isEmpty()) {
        cp.append(cp.length() == 0 ? "" : File.pathSeparator).append(p);
      }
    }
    return cp.toString();
  }

  private void readLines() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the process ended; next() reports how
    }
  }

  InetSocketAddress address() {
    return address;
  }

  /** The fork's figures, after full collections there. */
  Stats stats() throws IOException, InterruptedException {
    send("stats");
    String[] f = next("stats").split(" ");
    return new Stats(Long.parseLong(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
        Integer.parseInt(f[4]), Long.parseLong(f[5]));
  }

  /**
   * How many OutOfMemoryErrors have been constructed in the fork, caught or not (JFR's count; see
   * ProbeServer). Takes a second or two: the count is read after JFR's next flushes.
   */
  long outOfMemoryErrors() throws IOException, InterruptedException {
    send("errors");
    return Long.parseLong(next("its error count").split(" ")[1]);
  }

  /** Has the fork construct one OutOfMemoryError (not thrown), to show that the count works. */
  void constructOneOutOfMemoryError() throws IOException, InterruptedException {
    send("selftest");
    next("its self-test");
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Fails if the fork has ended (an OutOfMemoryError ends it with exit code 3). */
  void assertAlive() {
    if (!process.isAlive()) {
      throw failure("is gone");
    }
  }

  private void send(String command) throws IOException {
    assertAlive();
    try {
      commands.write(command + "\n");
      commands.flush();
    } catch (IOException e) {
      throw failure("did not take the command '" + command + "': " + e);
    }
  }

  private String next(String what) throws InterruptedException {
    String line = lines.poll(REPLY_SECONDS, TimeUnit.SECONDS);
    if (line == null) {
      throw failure("gave no " + what + " within " + REPLY_SECONDS + " s");
    }
    return line;
  }

  private AssertionError failure(String what) {
    String exit = process.isAlive() ? "still running"
        : "exit code " + process.exitValue() + (process.exitValue() == 3
            ? " (OutOfMemoryError: -XX:+ExitOnOutOfMemoryError)" : "");
    return new AssertionError("the forked server " + what + "; " + exit + "; its stderr ends:\n"
        + stderrTail());
  }

  private String stderrTail() {
    try {
      String s = Files.readString(stderr.toPath());
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** Stops the fork, and fails if it had ended by itself or does not end cleanly. */
  @Override
  public void close() throws IOException, InterruptedException {
    boolean wasAlive = process.isAlive();
    try {
      if (wasAlive) {
        send("exit");
      }
      if (!process.waitFor(REPLY_SECONDS, TimeUnit.SECONDS)) {
        throw failure("did not exit within " + REPLY_SECONDS + " s");
      }
      if (!wasAlive || process.exitValue() != 0) {
        throw failure("ended badly");
      }
    } finally {
      process.destroyForcibly();
      stderr.delete();
    }
  }
}
