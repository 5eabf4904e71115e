package io.protorpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.reflection.ReflectionClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The command line end to end, in real processes: the demo server ({@code Demo server}, which
 * serves reflection and echoes metadata) started from rpc-examples/target/modules, and the
 * launcher {@code ./protorpc} and the runnable jar run by bash from the repository's root. Every
 * wait is bounded. Also checks that every {@code $ ./protorpc ...} example in docs/cli.md prints
 * exactly what the page shows ({@code -Dprotorpc.docs.update=true} rewrites the page instead).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliEndToEndIT {
  /** The port docs/cli.md's examples use; replaced by the server's real one. */
  private static final String DOCS_PORT = "9090";
  private static final String DIVIDE = "protorpc.examples.calculator.Calculator/Divide";
  private static final long PROCESS_SECONDS = 60;
  /** The demo server's first line: "protorpc demo server listening on 127.0.0.1:PORT...". */
  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]*:(\\d+)");

  private final Path root = Path.of("..").toAbsolutePath().normalize();
  private Process server;
  private int port;
  private String target;

  @BeforeAll
  void startDemoServer() throws Exception {
    Path modules = root.resolve("rpc-examples/target/modules");
    assertTrue(Files.isDirectory(modules), modules + " is built before this module's tests");
    server = new ProcessBuilder(java(), "-p", modules.toString(), "-m",
        "io.protorpc.examples/io.protorpc.examples.Demo", "server", "--port", "0")
        .redirectErrorStream(true).start();
    BufferedReader lines = new BufferedReader(
        new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> announced = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          Matcher listening = LISTENING.matcher(line);
          if (listening.find()) {
            return Integer.parseInt(listening.group(1));
          }
        }
        throw new IllegalStateException("the demo server ended before saying its port");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    port = announced.get(60, TimeUnit.SECONDS);
    target = "127.0.0.1:" + port;
    // keep draining its output so it never blocks on a full pipe
    Thread drain = new Thread(() -> {
      try {
        while (lines.readLine() != null) {
          // discard
        }
      } catch (IOException ended) {
        // the server is gone
      }
    }, "demo-server-output");
    drain.setDaemon(true);
    drain.start();
  }

  @AfterAll
  void stopDemoServer() throws InterruptedException {
    if (server != null) {
      server.destroy();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** What one command printed (stdout and stderr apart, and merged in order), and its exit. */
  private record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /** Runs {@code command} with bash in the repository's root; bounded. */
  private Run bash(String command, boolean mergeStderr) throws Exception {
    Path out = Files.createTempFile("protorpc-it", ".out");
    Path err = Files.createTempFile("protorpc-it", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder("bash", "-c", command).directory(root.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(out.toFile());
      if (mergeStderr) {
        pb.redirectErrorStream(true);
      } else {
        pb.redirectError(err.toFile());
      }
      Process p = pb.start();
      if (!p.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("still running after " + PROCESS_SECONDS + " s: " + command);
      }
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private Run protorpc(String args) throws Exception {
    return bash("./protorpc " + args, false);
  }

  private static void assertExit(int expected, Run r) {
    assertEquals(expected, r.exit(), r::toString);
    assertFalse((r.out() + r.err()).contains("\tat "), () -> "a stack trace: " + r);
  }

  @Test
  void listsAndDescribesThroughReflection() throws Exception {
    Run r = protorpc("list " + target);
    assertExit(0, r);
    assertEquals(List.of("protorpc.examples.calculator.Calculator",
        "protorpc.examples.echo.EchoService", "protorpc.examples.game.Game",
        "protorpc.examples.recommend.Recommend", "protorpc.health.v1.Health",
        "protorpc.reflection.v1.ServerReflection"),
        r.out().lines().toList());
    r = protorpc("describe " + target + " " + DIVIDE);
    assertExit(0, r);
    assertTrue(r.out().contains("rpc protorpc.examples.calculator.Calculator.Divide("
        + "protorpc.examples.calculator.DivideRequest) returns ("
        + "protorpc.examples.calculator.DivideResponse);"), r::toString);
    assertTrue(r.out().contains("  optional double num2 = 2;"), r::toString);
  }

  @Test
  void callsDivideAndShowsDivisionByZeroWithItsDetails() throws Exception {
    Run r = protorpc("call " + target + " " + DIVIDE + " '{\"num1\": 10, \"num2\": 4}'");
    assertExit(0, r);
    assertEquals("{\n  \"result\": 2.5\n}\n", r.out());
    r = protorpc("call " + target + " " + DIVIDE + " '{\"num1\": 10, \"num2\": 0}'");
    assertExit(64 + StatusCode.INVALID_ARGUMENT.number(), r);
    assertEquals("", r.out());
    assertEquals(String.join("\n", "{",
        "  \"code\": \"INVALID_ARGUMENT\",",
        "  \"message\": \"division by zero\",",
        "  \"details\": {",
        "    \"@type\": \"type.googleapis.com/protorpc.examples.calculator.InvalidOperation\",",
        "    \"whatOp\": \"divide\",",
        "    \"why\": \"cannot divide 10.0 by zero\"",
        "  }",
        "}", ""), r.err());
  }

  @Test
  void readsRequestsFromStdin() throws Exception {
    Run r = bash("printf '{\"num1\": 9, \"num2\": 3}\\n{\"num1\": 1, \"num2\": 4}\\n' | ./protorpc call "
        + target + " " + DIVIDE, false);
    assertExit(0, r);
    assertEquals("{\n  \"result\": 3.0\n}\n{\n  \"result\": 0.25\n}\n", r.out());
  }

  @Test
  void metadataReachesTheServer() throws Exception {
    // the demo server answers with the request's metadata; -v prints what came back
    Run r = protorpc("call " + target + " " + DIVIDE + " '{}' -H 'x-trace: it-42' -v");
    assertExit(0, r);
    assertTrue(r.err().contains("< x-trace: it-42\n"), r::toString);
  }

  @Test
  void aDeadlineThatPassesIsDeadlineExceeded() throws Exception {
    // the demo server waits delay-ms before answering
    Run r = protorpc("call " + target + " " + DIVIDE
        + " '{}' -H delay-ms:5000 --deadline 300ms");
    assertExit(64 + StatusCode.DEADLINE_EXCEEDED.number(), r);
    assertTrue(r.err().contains("\"code\": \"DEADLINE_EXCEEDED\""), r::toString);
  }

  @Test
  void anUnknownMethodIsWhatTheServerSays() throws Exception {
    Run r = protorpc("call " + target + " protorpc.examples.calculator.Calculator/Multiply '{}'");
    // reflection knows the service and not the method
    assertExit(64 + StatusCode.NOT_FOUND.number(), r);
    assertTrue(r.err().contains("has no method 'Multiply' (methods: Divide)"), r::toString);

    // with a .proto that declares it, the call reaches the server: its answer, asked directly
    Path proto = Files.createTempDirectory("protorpc-it").resolve("calc.proto");
    Files.writeString(proto, String.join("\n", "syntax = \"proto3\";",
        "package protorpc.examples.calculator;",
        "message DivideRequest { double num1 = 1; optional double num2 = 2; }",
        "message DivideResponse { float result = 1; }",
        "service Calculator {",
        "  rpc Divide(DivideRequest) returns (DivideResponse);",
        "  rpc Multiply(DivideRequest) returns (DivideResponse);",
        "}", ""));
    StatusCode expected = serverAnswerForMultiply();
    r = protorpc("call " + target + " protorpc.examples.calculator.Calculator/Multiply '{}'"
        + " --proto " + proto);
    assertExit(64 + expected.number(), r);
    assertTrue(r.err().contains("\"code\": \"" + expected.name() + "\""), r::toString);
  }

  /** The code the demo server answers a Calculator.Multiply with, asked through RpcClient. */
  private StatusCode serverAnswerForMultiply() throws Exception {
    try (RpcClient client = RpcClient.builder().address("127.0.0.1", port).transport("socket")
        .connect()) {
      FileDescriptor real = new ReflectionClient(client, ClientController::new)
          .fileContainingSymbol("protorpc.examples.calculator.Calculator");
      com.google.protobuf.DescriptorProtos.FileDescriptorProto.Builder p = real.toProto()
          .toBuilder();
      p.getServiceBuilder(0).addMethod(p.getService(0).getMethod(0).toBuilder()
          .setName("Multiply"));
      MethodDescriptor multiply = FileDescriptor.buildFrom(p.build(), new FileDescriptor[0])
          .findServiceByName("Calculator").findMethodByName("Multiply");
      client.callBlockingMethod(multiply, new ClientController(),
          DynamicMessage.getDefaultInstance(multiply.getInputType()),
          DynamicMessage.getDefaultInstance(multiply.getOutputType()));
      throw new AssertionError("the demo server answered Multiply");
    } catch (RpcException e) {
      return e.code();
    }
  }

  @Test
  void aServerThatIsDownIsAClearErrorAndANonZeroExit() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run r = protorpc("list 127.0.0.1:" + closed);
    assertExit(64 + StatusCode.UNAVAILABLE.number(), r);
    assertTrue(r.err().contains("\"message\": \"cannot connect to 127.0.0.1:" + closed),
        r::toString);
  }

  @Test
  void protoFilesWorkWithoutReflection() throws Exception {
    try (RpcServer plain = RpcServer.builder().transport("socket")
        .addService(CalculatorRpc.bindService(new TestCalculator())).start()) {
      String plainTarget = "127.0.0.1:" + plain.port();
      Run r = protorpc("list " + plainTarget);
      assertTrue(r.err().contains("does not serve reflection"), r::toString);
      String proto = " --proto rpc-examples/src/main/proto/protorpc/examples/calculator.proto"
          + " -I rpc-examples/src/main/proto";
      r = protorpc("call " + plainTarget + " " + DIVIDE + " '{\"num1\": 1, \"num2\": 8}'" + proto);
      assertExit(0, r);
      assertEquals("{\n  \"result\": 0.125\n}\n", r.out());
    }
  }

  @Test
  void theRunnableJarWorksToo() throws Exception {
    Run r = bash("java -jar rpc-cli/target/protorpc.jar call " + target + " " + DIVIDE
        + " '{\"num1\": 3, \"num2\": 4}' --transport netty --compressor zstd", false);
    assertExit(0, r);
    assertEquals("{\n  \"result\": 0.75\n}\n", r.out());
  }

  private static final Pattern BLOCK = Pattern.compile("```console\n(.*?)```", Pattern.DOTALL);

  @Test
  void docsShowRealOutput() throws Exception {
    Path docs = root.resolve("docs/cli.md");
    String page = Files.readString(docs);
    boolean update = Boolean.getBoolean("protorpc.docs.update");
    StringBuilder rewritten = new StringBuilder();
    List<String> differences = new ArrayList<>();
    Matcher m = BLOCK.matcher(page);
    int last = 0;
    int commands = 0;
    while (m.find()) {
      StringBuilder block = new StringBuilder();
      for (String chunk : m.group(1).split("(?m)^(?=\\$ )")) {
        if (chunk.isEmpty()) {
          continue;
        }
        int eol = chunk.indexOf('\n');
        String command = chunk.substring(2, eol);
        String expected = chunk.substring(eol + 1);
        Run r = bash(command.replace(DOCS_PORT, String.valueOf(port)), true);
        String actual = r.out().replace(String.valueOf(port), DOCS_PORT);
        commands++;
        if (!actual.equals(expected)) {
          differences.add("$ " + command + "\n--- docs/cli.md shows\n" + expected
              + "--- it prints\n" + actual);
        }
        block.append("$ ").append(command).append('\n').append(actual);
      }
      rewritten.append(page, last, m.start(1)).append(block);
      last = m.end(1);
    }
    rewritten.append(page.substring(last));
    if (update) {
      Files.writeString(docs, rewritten.toString());
      return;
    }
    assertTrue(commands >= 10, "docs/cli.md shows " + commands + " commands");
    assertEquals(List.of(), differences, "docs/cli.md differs from real output; rerun this test"
        + " with -Dprotorpc.docs.update=true to rewrite it, then read the change");
  }
}
