package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.RpcServer;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The demo's three modes, run in this JVM with small call counts. */
class DemoTest {
  /** What one run printed, and its exit status. */
  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Demo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private static void assertNoStackTrace(Run r) {
    assertFalse((r.out + r.err).contains("\tat "), () -> "a stack trace:\n" + r.out + r.err);
  }

  /** How many names of {@code kind} have an available provider: what the demo iterates. */
  private static long available(Class<? extends Plugin> kind) {
    return PluginRegistry.names(kind).stream()
        .filter(n -> PluginRegistry.lookup(kind, n).isPresent()).count();
  }

  private static boolean installed(Class<? extends Plugin> kind, String name) {
    return PluginRegistry.names(kind).contains(name);
  }

  @Test
  void inProcessDemoSucceedsForEveryConfiguration() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    List<Workload.Result> rows = Demo.inProcess(12, out);

    String printed = bytes.toString(StandardCharsets.UTF_8);
    Set<String> configurations =
        rows.stream().map(Workload.Result::configuration).collect(Collectors.toSet());
    assertTrue(configurations.containsAll(Set.of("socket / length / identity",
        "socket / delimiter / identity", "socket / varint / identity")), configurations::toString);
    long expected = available(Transport.class) * available(io.protorpc.spi.Framing.class)
        * available(Compressor.class);
    assertEquals(expected, rows.size(), "one row per transport x framing x compressor");
    for (Workload.Result r : rows) {
      assertEquals(12, r.calls(), r.toString());
      assertTrue(r.allSucceeded(), () -> r + "\n" + printed);
      assertTrue(r.bytesPerCall() > 100, "bytes per call measured: " + r);
      assertTrue(r.p50Micros() > 0 && r.p50Micros() <= r.p99Micros(), r.toString());
      assertTrue(printed.contains(r.configuration()), printed);
    }
    assertTrue(printed.contains("bytes/call"), printed);
    assertTrue(printed.contains("all calls succeeded"), printed);
    assertTrue(printed.contains("InvalidOperation{what_op=divide"), printed);
    assertTrue(printed.contains("Game.ConnectServer(\"ada\") = \"welcome, ada"), printed);
    assertTrue(printed.contains("Recommend.UserRecommend(user 42, 3 articles): exposure 3"),
        printed);
    if (!installed(Compressor.class, "zstd")) {
      assertTrue(printed.contains("zstd: not installed - add io.protorpc:rpc-codec-compress"),
          printed);
    }
    assertFalse(printed.contains("\tat "), printed);
  }

  @Test
  void anUnavailablePluginIsNamedWithItsReasonAndLeftOutOfTheTable() throws Exception {
    Compressor broken = new Compressor() {
      @Override
      public String name() {
        return "brotli-test";
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.of("native library not found for this platform");
      }

      @Override
      public ByteBuffer compress(ByteBuffer input) {
        throw new AssertionError("an unavailable compressor must not be used");
      }

      @Override
      public ByteBuffer decompress(ByteBuffer input, int maxOutputBytes) {
        throw new AssertionError("an unavailable compressor must not be used");
      }
    };
    PluginRegistry.register(broken);
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      List<Workload.Result> rows =
          Demo.inProcess(4, new PrintStream(bytes, true, StandardCharsets.UTF_8));
      String printed = bytes.toString(StandardCharsets.UTF_8);
      assertTrue(printed.contains(
          "brotli-test: installed but unavailable: native library not found"), printed);
      assertTrue(rows.stream().noneMatch(r -> r.configuration().contains("brotli-test")),
          rows::toString);
      assertTrue(rows.stream().allMatch(Workload.Result::allSucceeded), rows::toString);
    } finally {
      PluginRegistry.unregister(broken);
    }
  }

  @Test
  void clientModeCallsAServerModeServer() throws Exception {
    ByteArrayOutputStream serverOut = new ByteArrayOutputStream();
    try (RpcServer server = Demo.startServer(Demo.Options.parse(new String[] {"server",
        "--port", "0"}), new PrintStream(serverOut, true, StandardCharsets.UTF_8))) {
      String banner = serverOut.toString(StandardCharsets.UTF_8);
      assertTrue(banner.startsWith("protorpc demo server listening on 127.0.0.1:" + server.port()
          + System.lineSeparator() + "framings: delimiter, length, varint; compressors: "), banner);

      Run r = run("client", "--port", String.valueOf(server.port()), "--framing", "varint",
          "--calls", "8");

      assertEquals(0, r.status, r.out + r.err);
      String transport = PluginRegistry.defaultFor(Transport.class).name(); // none was asked for
      assertTrue(r.out.contains(transport + " / varint / identity"), r.out);
      assertTrue(r.out.contains("all calls succeeded"), r.out);
      assertEquals("", r.err);
    }
  }

  @Test
  void serverModeRunsUntilSigtermAndSaysItStopped() throws Exception {
    ChildJvm server = ChildJvm.start(Demo.class, "server", "--port", "0");
    try {
      String first = server.readLine(60);
      assertTrue(String.valueOf(first).matches(
          "protorpc demo server listening on 127\\.0\\.0\\.1:[1-9][0-9]*"), first);
      assertTrue(server.readLine(10).startsWith("framings: "));
      assertTrue(server.readLine(10).startsWith("services: "));
      assertTrue(server.process().isAlive(), "serves until stopped");
      assertTrue(server.terminate(30), "stops on SIGTERM");
      assertEquals("protorpc demo server stopped\n", server.restOfOutput());
      assertEquals("", server.stderr());
    } finally {
      server.kill();
    }
  }

  @Test
  void namesThatAreNotInstalledGetTheRegistrysMessage() {
    Run r = run("client", "--port", "1", "--framing", "carrier-pigeon");
    assertEquals(2, r.status);
    assertTrue(r.err.startsWith("error: no Framing named 'carrier-pigeon' found (found: "),
        r.err);
    assertTrue(r.err.contains("varint"), "lists what is installed: " + r.err);
    assertNoStackTrace(r);

    if (!installed(Transport.class, "netty")) {
      Run netty = run("server", "--port", "0", "--transport", "netty");
      assertEquals(2, netty.status);
      assertTrue(netty.err.contains("add io.protorpc:rpc-transport-netty"), netty.err);
      assertNoStackTrace(netty);
    }
    if (!installed(Compressor.class, "zstd")) {
      Run zstd = run("client", "--port", "1", "--compressor", "zstd");
      assertEquals(2, zstd.status);
      assertTrue(zstd.err.contains("add io.protorpc:rpc-codec-compress"), zstd.err);
    }
  }

  @Test
  void anUnreachableServerIsOneClearLine() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // free once closed
    }
    Run r = run("client", "--port", String.valueOf(port), "--calls", "4");
    assertEquals(1, r.status);
    assertTrue(r.err.startsWith("error: cannot connect to 127.0.0.1:" + port), r.err);
    assertNoStackTrace(r);
  }

  @Test
  void badCommandLinesPrintTheUsage() {
    for (String[] args : List.of(new String[] {"--calls", "x"}, new String[] {"--calls", "3"},
        new String[] {"frobnicate"}, new String[] {"client"}, new String[] {"server", "--port"},
        new String[] {"--port", "80"}, new String[] {"client", "--port", "70000"})) {
      Run r = run(args);
      assertEquals(2, r.status, String.join(" ", args));
      assertTrue(r.err.startsWith("error: ") && r.err.contains("usage: Demo"), r.err);
      assertNoStackTrace(r);
    }
    Run help = run("--help");
    assertEquals(0, help.status);
    assertTrue(help.out.contains("Demo client --port N"), help.out);
  }
}
