package io.protorpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import io.protorpc.ClientController;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.EchoServiceImpl;
import io.protorpc.examples.calculator.DivideRequest;
import io.protorpc.examples.echo.EchoService;
import io.protorpc.testkit.TestServiceImpl;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line run in this JVM ({@link Main#run}) against real servers on loopback: one with
 * reflection (the calculator, echo and the testkit's service, echoing metadata), one without, and
 * one with mutual TLS. CliEndToEndIT does the same in real processes through the launcher.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliTest {
  static final String DIVIDE = "protorpc.examples.calculator.Calculator/Divide";

  private RpcServer reflecting;
  private RpcServer plain;
  private String target;
  private String plainTarget;

  @TempDir
  Path tmp;

  @BeforeAll
  void startServers() throws IOException {
    reflecting = RpcServer.builder().transport("socket")
        .addService(CalculatorRpc.bindService(new TestCalculator()))
        .addService(EchoService.newReflectiveBlockingService(new EchoServiceImpl()))
        .addService(new TestServiceImpl().asService())
        .intercept((controller, request, next, done) -> {
          for (String k : controller.requestMetadata().keys()) {
            controller.responseMetadata().put(k, controller.requestMetadata().get(k));
          }
          next.handle(controller, request, done);
        })
        .reflection().health().start();
    plain = RpcServer.builder().transport("socket")
        .addService(CalculatorRpc.bindService(new TestCalculator())).start();
    target = "127.0.0.1:" + reflecting.port();
    plainTarget = "127.0.0.1:" + plain.port();
  }

  @AfterAll
  void stopServers() {
    for (RpcServer s : new RpcServer[] {reflecting, plain}) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** What one run printed, and its exit code. */
  record Run(int exit, String out, String err) {
    JsonObject errJson() {
      return JsonParser.parseString(err).getAsJsonObject();
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  static Run runWithStdin(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(args, new Io(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), System.getenv()));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run run(String... args) {
    return runWithStdin("", args);
  }

  static void assertExit(int expected, Run r) {
    assertEquals(expected, r.exit(), r::toString);
    assertFalse((r.out() + r.err()).contains("\tat "), () -> "a stack trace: " + r);
  }

  @Test
  void listsServicesThenAServicesMethods() {
    Run r = run("list", target);
    assertExit(0, r);
    assertEquals(List.of("protorpc.examples.calculator.Calculator",
        "protorpc.examples.echo.EchoService", "protorpc.health.v1.Health",
        "protorpc.reflection.v1.ServerReflection",
        "protorpc.testkit.TestService"), r.out().lines().toList());
    r = run("list", target, "protorpc.examples.calculator.Calculator");
    assertExit(0, r);
    assertEquals(DIVIDE + "\n", r.out());
  }

  @Test
  void describesServicesMethodsMessagesAndEnums() {
    Run r = run("describe", target, "protorpc.examples.calculator.Calculator");
    assertExit(0, r);
    assertTrue(r.out().contains("service protorpc.examples.calculator.Calculator {\n  rpc Divide("
        + "protorpc.examples.calculator.DivideRequest) returns ("
        + "protorpc.examples.calculator.DivideResponse);\n}\n"), r::toString);
    r = run("describe", target, DIVIDE);
    assertExit(0, r);
    assertTrue(r.out().contains("message protorpc.examples.calculator.DivideRequest {\n"
        + "  double num1 = 1;\n  optional double num2 = 2;\n}\n"), r::toString);
    assertTrue(r.out().contains("  float result = 1;"), r::toString);
    r = run("describe", target, "protorpc.testkit.FailRequest");
    assertExit(0, r);
    assertTrue(r.out().contains("  enum Mode {\n    MODE_UNSPECIFIED = 0;\n"), r::toString);
    assertTrue(r.out().contains("  protorpc.testkit.FailRequest.Mode mode = 1;"), r::toString);
    r = run("describe", target, "protorpc.testkit.FailRequest.Mode");
    assertExit(0, r);
    assertTrue(r.out().startsWith("// protorpc.testkit.FailRequest.Mode is an enum in"
        + " protorpc/testkit/testkit.proto\nenum protorpc.testkit.FailRequest.Mode {\n"
        + "  MODE_UNSPECIFIED = 0;\n"), r::toString);
    r = run("describe", target);
    assertExit(0, r);
    assertTrue(r.out().contains("service protorpc.testkit.TestService {"), r::toString);
    assertTrue(r.out().contains("service protorpc.reflection.v1.ServerReflection {"), r::toString);
  }

  @Test
  void callsWithJsonInAndOut() {
    Run r = run("call", target, DIVIDE, "{\"num1\": 10, \"num2\": 4}");
    assertExit(0, r);
    assertEquals("{\n  \"result\": 2.5\n}\n", r.out());
    // several objects, several calls; the method also as Service.Method
    r = run("call", target, "protorpc.examples.calculator.Calculator.Divide",
        "{\"num1\": 1, \"num2\": 4} {\"num1\": 9}\n{}");
    assertExit(0, r);
    assertEquals(List.of(0.25, 9.0, 0.0), results(r.out()));
  }

  static List<Double> results(String out) {
    List<Double> results = new ArrayList<>();
    var reader = new com.google.gson.stream.JsonReader(new java.io.StringReader(out));
    reader.setLenient(true);
    try {
      while (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
        results.add(JsonParser.parseReader(reader).getAsJsonObject().get("result").getAsDouble());
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return results;
  }

  @Test
  void readsRequestsFromStdinWithoutAnArgumentOrWithADash() {
    Run r = runWithStdin("{\"num1\": 3, \"num2\": 2}\n{\"num1\": 5, \"num2\": 2}\n", "call", target, DIVIDE);
    assertExit(0, r);
    assertEquals(List.of(1.5, 2.5), results(r.out()));
    r = runWithStdin("{\"num1\": 1, \"num2\": 2}", "call", target, DIVIDE, "-");
    assertExit(0, r);
    assertEquals(List.of(0.5), results(r.out()));
    r = runWithStdin("  \n", "call", target, DIVIDE);
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("error: no request"), r::toString);
  }

  @Test
  void aFailedCallPrintsItsStatusAndDetailsAsJsonAndExitsWithItsCode() {
    Run r = run("call", target, DIVIDE, "{\"num1\": 10, \"num2\": 0}");
    assertExit(64 + StatusCode.INVALID_ARGUMENT.number(), r);
    assertEquals("", r.out());
    JsonObject status = r.errJson();
    assertEquals("INVALID_ARGUMENT", status.get("code").getAsString());
    assertEquals("division by zero", status.get("message").getAsString());
    JsonObject details = status.getAsJsonObject("details");
    assertEquals("type.googleapis.com/protorpc.examples.calculator.InvalidOperation",
        details.get("@type").getAsString());
    assertEquals("divide", details.get("whatOp").getAsString());
    assertEquals("cannot divide 10.0 by zero", details.get("why").getAsString());
    // the calls before a failure were made and printed; none after it
    r = run("call", target, DIVIDE, "{\"num1\": 1} {\"num2\": 0} {\"num1\": 2}");
    assertExit(67, r);
    assertEquals(List.of(1.0), results(r.out()));
  }

  @Test
  void metadataReachesTheServerAndVerboseShowsWhatCameBack() {
    Run r = run("call", target, DIVIDE, "{}", "-H", "x-trace: abc 123", "-H", "tenant:7", "-v");
    assertExit(0, r);
    assertTrue(r.err().contains("< x-trace: abc 123\n"), r::toString);
    assertTrue(r.err().contains("< tenant: 7\n"), r::toString);
    r = run("call", target, DIVIDE, "{}", "-H", "Upper:x");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().startsWith("error: -H 'Upper:x': "), r::toString);
    r = run("call", target, DIVIDE, "{}", "-H", "novalue");
    assertExit(ExitCodes.USAGE, r);
  }

  @Test
  void aDeadlineThatPassesIsDeadlineExceeded() {
    long start = System.nanoTime();
    Run r = run("call", target, "protorpc.testkit.TestService/Delay", "{\"millis\": 10000}",
        "--deadline", "300ms");
    assertExit(64 + StatusCode.DEADLINE_EXCEEDED.number(), r);
    assertEquals("DEADLINE_EXCEEDED", r.errJson().get("code").getAsString());
    // not a timing test: the server answers after 10 s, so only the deadline can end it sooner
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9), "ended by its deadline");
    r = run("call", target, DIVIDE, "{}", "--deadline", "soon");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("'soon' is not a duration"), r::toString);
  }

  @Test
  void anUnknownMethodOrServiceIsNotFoundThroughReflection() {
    Run r = run("call", target, "protorpc.examples.calculator.Calculator/Multiply", "{}");
    assertExit(64 + StatusCode.NOT_FOUND.number(), r);
    assertEquals("service protorpc.examples.calculator.Calculator has no method 'Multiply'"
        + " (methods: Divide)", r.errJson().get("message").getAsString());
    r = run("describe", target, "no.Such");
    assertExit(69, r);
    assertTrue(r.errJson().get("message").getAsString().contains("knows no service, method,"
        + " message or enum 'no.Such' (services: protorpc.examples.calculator.Calculator"),
        r::toString);
    r = run("call", target, "protorpc.examples.calculator.Calculator", "{}");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("is a service, not a method; give SERVICE/METHOD, e.g. " + DIVIDE),
        r::toString);
  }

  @Test
  void healthPrintsTheStatusAndExitsThreeWhenNotServing() {
    String calculator = CalculatorRpc.getServiceDescriptor().getFullName();
    Run server = run("health", target);
    assertExit(0, server);
    assertEquals("SERVING\n", server.out(), server::toString);
    try {
      reflecting.health().setStatus(calculator, ServingStatus.NOT_SERVING);
      Run down = run("health", target, calculator);
      assertExit(3, down);
      assertEquals("NOT_SERVING\n", down.out(), down::toString);
      assertExit(0, run("health", target)); // the server as a whole still serves
    } finally {
      reflecting.health().setStatus(calculator, ServingStatus.SERVING);
    }
    assertExit(0, run("health", target, calculator));

    Run unknown = run("health", target, "no.Such");
    assertExit(69, unknown);
    assertTrue(unknown.errJson().get("message").getAsString().contains("no.Such"), unknown::toString);

    Run without = run("health", plainTarget);
    assertExit(76, without);
    assertTrue(without.errJson().get("message").getAsString()
        .contains("does not serve health checks"), without::toString);
  }

  @Test
  void aServerWithoutReflectionIsExplained() {
    Run r = run("list", plainTarget);
    assertTrue(r.exit() == 69 || r.exit() == 76, r::toString);
    assertTrue(r.errJson().get("message").getAsString().contains("does not serve reflection"),
        r::toString);
  }

  @Test
  void aServerThatIsDownIsUnavailable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = run("list", "127.0.0.1:" + port);
    assertExit(64 + StatusCode.UNAVAILABLE.number(), r);
    assertEquals("UNAVAILABLE", r.errJson().get("code").getAsString());
    assertTrue(r.errJson().get("message").getAsString()
        .startsWith("cannot connect to 127.0.0.1:" + port), r::toString);
  }

  /** A calculator.proto that also declares a Multiply the servers do not have. */
  private Path protoWithMultiply() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("protos"));
    Path proto = dir.resolve("calc.proto");
    Files.writeString(proto, String.join("\n",
        "syntax = \"proto3\";",
        "package protorpc.examples.calculator;",
        "import \"google/protobuf/any.proto\";",
        "message DivideRequest { double num1 = 1; optional double num2 = 2; }",
        "message DivideResponse { float result = 1; }",
        "message InvalidOperation { string what_op = 1; string why = 2; }",
        "message Holder { google.protobuf.Any any = 1; }",
        "service Calculator {",
        "  rpc Divide(DivideRequest) returns (DivideResponse);",
        "  rpc Multiply(DivideRequest) returns (DivideResponse);",
        "}", ""));
    return proto;
  }

  /** The code the server answers an unknown method with, asked directly. */
  private StatusCode codeForAnUnknownMethod(FileDescriptor file) throws IOException {
    MethodDescriptor multiply = file.findServiceByName("Calculator").findMethodByName("Multiply");
    try (RpcClient client = RpcClient.builder().address(plain.localAddress()).transport("socket")
        .connect()) {
      client.callBlockingMethod(multiply, new ClientController(),
          DynamicMessage.getDefaultInstance(multiply.getInputType()),
          DynamicMessage.getDefaultInstance(multiply.getOutputType()));
      throw new AssertionError("Multiply succeeded");
    } catch (RpcException e) {
      return e.code();
    }
  }

  @Test
  void protoFilesReplaceReflection() throws Exception {
    Path proto = protoWithMultiply();
    Run r = run("list", plainTarget, "--proto", proto.toString());
    assertExit(0, r);
    assertEquals("protorpc.examples.calculator.Calculator\n", r.out());
    r = run("call", plainTarget, DIVIDE, "{\"num1\": 7, \"num2\": 2}", "--proto",
        proto.toString(), "-I", proto.getParent().toString());
    assertExit(0, r);
    assertEquals(List.of(3.5), results(r.out()));
    r = run("call", plainTarget, DIVIDE, "{\"num1\": 7, \"num2\": 0}", "--proto",
        proto.toString());
    assertExit(67, r);
    assertEquals("divide", r.errJson().getAsJsonObject("details").get("whatOp").getAsString());

    // the server's own answer for a method it lacks
    FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(descriptorSet(proto)));
    FileDescriptor file = FileDescriptor.buildFrom(set.getFile(1),
        new FileDescriptor[] {com.google.protobuf.AnyProto.getDescriptor()});
    StatusCode expected = codeForAnUnknownMethod(file);
    r = run("call", plainTarget, "protorpc.examples.calculator.Calculator/Multiply", "{}",
        "--proto", proto.toString());
    assertExit(64 + expected.number(), r);
    assertEquals(expected.name(), r.errJson().get("code").getAsString());
  }

  /** protoc's descriptor set for {@code proto}, made through the CLI's own Protoc. */
  private Path descriptorSet(Path proto) throws Exception {
    FileDescriptorSet set = Protoc.compile(Protoc.find(null, System.getenv()), List.of(proto),
        List.of());
    Path out = tmp.resolve("set.pb");
    Files.write(out, set.toByteArray());
    return out;
  }

  @Test
  void aDescriptorSetReplacesReflection() throws Exception {
    Path set = tmp.resolve("calculator.pb");
    Files.write(set, FileDescriptorSet.newBuilder()
        .addFile(DivideRequest.getDescriptor().getFile().toProto()).build().toByteArray());
    Run r = run("call", plainTarget, DIVIDE, "{\"num1\": 1, \"num2\": 8}", "--descriptor-set",
        set.toString());
    assertExit(0, r);
    assertEquals(List.of(0.125), results(r.out()));
    Files.write(set, new byte[] {1, 2, 3});
    r = run("list", plainTarget, "--descriptor-set", set.toString());
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("is not a FileDescriptorSet"), r::toString);
  }

  @Test
  void protocIsFoundThroughTheOptionOrTheEnvironmentAndItsErrorsAreShown() throws Exception {
    Path proto = protoWithMultiply();
    Path bad = tmp.resolve("bad.proto");
    Files.writeString(bad, "syntax = \"proto3\";\nmessage { }\n");
    Run r = run("list", plainTarget, "--proto", bad.toString());
    assertExit(ExitCodes.LOCAL, r);
    assertTrue(r.err().startsWith("error: protoc ("), r::toString);
    assertTrue(r.err().contains("bad.proto:2:"), r::toString);
    // neither --protoc, $PROTOC, PATH nor ~/.m2 may name a missing file
    r = run("list", plainTarget, "--proto", proto.toString(), "--protoc",
        tmp.resolve("nothing").toString());
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("--protoc: no file"), r::toString);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"list", plainTarget, "--proto", proto.toString()},
        new Io(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("PROTOC", tmp.resolve("nothing").toString())));
    assertEquals(ExitCodes.USAGE, exit);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("$PROTOC: no file"), err::toString);
  }

  @Test
  void badCommandLinesAndInputsAreUsageErrors() {
    assertExit(ExitCodes.USAGE, run("call", target, DIVIDE, "{\"num1\": "));
    Run r = run("call", target, DIVIDE, "{\"nope\": 1}");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("request 1 is not a protorpc.examples.calculator.DivideRequest"),
        r::toString);
    r = run("call", target, DIVIDE, "[1]");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("request 1 is not a JSON object"), r::toString);
    r = run("list", "localhost");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("'localhost' is not HOST:PORT"), r::toString);
    r = run("list", target, "--transport", "carrier-pigeon");
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("no Transport named 'carrier-pigeon'"), r::toString);
    r = run("lsit", target);
    assertExit(ExitCodes.USAGE, r);
    r = run();
    assertExit(ExitCodes.USAGE, r);
    assertTrue(r.err().contains("give a command"), r::toString);
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : List.of("list", "describe", "call", "health")) {
      Run r = run(command, "--help");
      assertExit(0, r);
      assertTrue(r.out().startsWith("Usage: protorpc " + command + " "), r::toString);
      assertTrue(r.out().contains("--deadline=DURATION"), r::toString);
    }
    Run r = run("--help");
    assertExit(0, r);
    assertTrue(r.out().contains("64+N  a call ended with status N"), r::toString);
  }

  @Test
  void everyTransportFramingAndCompressorWorks() {
    for (String transport : List.of("socket", "netty")) {
      for (String framing : List.of("length", "delimiter")) {
        for (String compressor : List.of("identity", "zstd", "gzip")) {
          Run r = run("call", target, DIVIDE, "{\"num1\": 1, \"num2\": 2}", "--transport",
              transport, "--framing", framing, "--compressor", compressor);
          assertExit(0, r);
          assertEquals(List.of(0.5), results(r.out()), transport + framing + compressor);
        }
      }
    }
  }
}
