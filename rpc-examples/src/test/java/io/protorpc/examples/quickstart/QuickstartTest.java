package io.protorpc.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's quickstart as a user runs it: the server and the client are separate JVMs started from
 * their {@code main}s, on the module path as the demo is.
 */
class QuickstartTest {
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+);");

  @Test
  void serverKeepsServingUntilSigtermAndTheClientsCallsAllComplete() throws Exception {
    Process server = start(QuickstartServer.class, "0");
    try {
      BufferedReader serverOut = new BufferedReader(
          new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String first = CompletableFuture.supplyAsync(() -> readLine(serverOut))
          .get(60, TimeUnit.SECONDS);
      Matcher m = LISTENING.matcher(String.valueOf(first));
      assertTrue(m.find(), () -> "first line: " + first + "\n" + stderr(server));

      Process client = start(QuickstartClient.class, m.group(1));
      assertTrue(client.waitFor(60, TimeUnit.SECONDS), "the client's main returns");
      String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = stderr(client);
      assertEquals(0, client.exitValue(), () -> out + err);
      assertEquals(List.of(
          "10 / 4 = 2.5",
          "1 / 0 failed: INVALID_ARGUMENT, cannot divide 1.0 by zero",
          "async 10 / 4 = 2.5"), out.lines().toList(), () -> out + err);
      assertEquals("", err);

      assertTrue(server.isAlive(), "the server's main keeps it serving");
      // SIGTERM, as `kill` or a service manager sends it. Through the handle: Process.destroy()
      // would also close our ends of the pipes, losing what the server prints when it stops.
      server.toHandle().destroy();
      assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
      String rest = CompletableFuture.supplyAsync(() -> readLine(serverOut))
          .get(10, TimeUnit.SECONDS);
      assertEquals("server stopped", rest);
      assertEquals(143, server.exitValue(), "128 + SIGTERM, as for any JVM ended by it");
      assertEquals("", stderr(server));
    } finally {
      server.destroyForcibly();
    }
  }

  /** {@code main} of {@code type} in a new JVM with this one's module path and class path. */
  static Process start(Class<?> type, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String modulePath = System.getProperty("jdk.module.path", "");
    command.addAll(List.of("-cp", System.getProperty("java.class.path", "")));
    if (modulePath.isEmpty()) {
      command.add(type.getName());
    } else {
      command.addAll(List.of("-p", modulePath,
          "-m", type.getModule().getName() + "/" + type.getName()));
    }
    command.addAll(List.of(args));
    return new ProcessBuilder(command).start();
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** What the process wrote to stderr; only once it has ended. */
  private static String stderr(Process p) {
    if (p.isAlive()) {
      return "(still running)";
    }
    try {
      return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
