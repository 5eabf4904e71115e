package io.protorpc.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A program's {@code main} in a new JVM, launched as a user launches it: on this JVM's module
 * path (as {@code java -p ... -m module/class}) with its class path beside it.
 */
public final class ChildJvm {
  private final Process process;
  private final BufferedReader out;

  private ChildJvm(Process process) {
    this.process = process;
    this.out = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
  }

  public static ChildJvm start(Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // as run-demo.sh does: JDK 22+ otherwise warns on stderr, which these tests read
    command.add("--enable-native-access=ALL-UNNAMED,com.github.luben.zstd_jni,io.netty.common");
    command.addAll(List.of("-cp", System.getProperty("java.class.path", "")));
    String modulePath = System.getProperty("jdk.module.path", "");
    if (modulePath.isEmpty()) {
      command.add(main.getName());
    } else {
      command.addAll(List.of("-p", modulePath,
          "-m", main.getModule().getName() + "/" + main.getName()));
    }
    command.addAll(List.of(args));
    return new ChildJvm(new ProcessBuilder(command).start());
  }

  public Process process() {
    return process;
  }

  /** The next line of its stdout, waiting at most {@code seconds}; null at its end. */
  public String readLine(int seconds) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).get(seconds, TimeUnit.SECONDS);
  }

  /** The rest of its stdout; only once it has ended. */
  public String restOfOutput() throws IOException {
    StringBuilder b = new StringBuilder();
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      b.append(line).append('\n');
    }
    return b.toString();
  }

  /** What it wrote to stderr; only once it has ended. */
  public String stderr() throws IOException {
    return process.isAlive() ? "(still running)"
        : new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /**
   * Sends SIGTERM, as {@code kill} or a service manager does, and waits at most {@code seconds}
   * for the JVM to end. Through the process handle: {@link Process#destroy()} would also close
   * our ends of the pipes, losing what the program prints while it stops.
   */
  public boolean terminate(int seconds) throws InterruptedException {
    process.toHandle().destroy();
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  /** Ends it at once if it still runs: for a test's finally block. */
  public void kill() {
    process.destroyForcibly();
  }
}
