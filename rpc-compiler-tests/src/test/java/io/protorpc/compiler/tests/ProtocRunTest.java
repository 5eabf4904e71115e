package io.protorpc.compiler.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real protoc (the release protobuf-maven-plugin fetched for this build) running the plugin the
 * way a user of plain protoc does: through the launcher script {@code
 * rpc-compiler/protoc-gen-protorpc} and the runnable jar rpc-compiler's package phase built. What
 * protoc prints on standard error is checked: nothing for the examples that use the plugin (so no
 * generic-services warning), the warning for the one example that keeps generic services, and a
 * refusal naming the method for a streaming rpc.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProtocRunTest {
  private static final String GENERIC_SERVICES_WARNING = "Generic services";
  private static final long PROTOC_SECONDS = 60;

  private final Path root = Paths.get(System.getProperty("protorpc.root")).normalize();
  private Path protoc;
  private Path launcher;
  private Path wellKnownTypes;

  @BeforeAll
  void findTools(@TempDir Path tools) throws IOException {
    String version = System.getProperty("protorpc.protocVersion");
    Path repository = Paths.get(System.getProperty("protorpc.localRepository"));
    Path fetched = repository.resolve("com/google/protobuf/protoc/" + version
        + "/protoc-" + version + "-" + platform() + ".exe");
    assertTrue(Files.isRegularFile(fetched), () -> "no protoc at " + fetched);
    protoc = Files.copy(fetched, tools.resolve("protoc"));
    assertTrue(protoc.toFile().setExecutable(true));
    launcher = root.resolve("rpc-compiler/protoc-gen-protorpc");
    try (Stream<Path> jars = Files.list(root.resolve("rpc-compiler/target"))) {
      assertTrue(jars.anyMatch(p -> p.getFileName().toString().endsWith("-all.jar")),
          "no rpc-compiler-*-all.jar: build rpc-compiler's package phase first (mvn verify)");
    }
    // google/protobuf/*.proto, as protobuf-java ships them (the protoc binary has none built in)
    wellKnownTypes = tools.resolve("include");
    Path javaJar = repository.resolve("com/google/protobuf/protobuf-java/" + version
        + "/protobuf-java-" + version + ".jar");
    try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(javaJar))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        if (e.getName().startsWith("google/protobuf/") && e.getName().endsWith(".proto")) {
          Path target = wellKnownTypes.resolve(e.getName());
          Files.createDirectories(target.getParent());
          Files.copy(zip, target);
        }
      }
    }
  }

  /** protoc's Maven classifier for this machine. */
  private static String platform() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx"
        : os.contains("windows") ? "windows" : os;
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
        : arch.equals("aarch64") || arch.equals("arm64") ? "aarch_64" : arch;
    return o + "-" + a;
  }

  private record Run(int exit, String stderr) {}

  /** Runs protoc with the plugin on {@code files} (relative to {@code sources}). */
  private Run protoc(Path sources, Path out, List<String> files) throws Exception {
    Files.createDirectories(out);
    List<String> command = new ArrayList<>(List.of(protoc.toString(),
        "--plugin=protoc-gen-protorpc=" + launcher,
        "-I" + sources, "-I" + wellKnownTypes, "-I" + root.resolve("rpc-api/src/main/proto"),
        "--java_out=" + out, "--protorpc_out=" + out));
    command.addAll(files);
    Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try (InputStream err = p.getErrorStream()) {
      byte[] stderr = err.readAllBytes(); // ends when protoc exits
      assertTrue(p.waitFor(PROTOC_SECONDS, TimeUnit.SECONDS), "protoc did not finish");
      return new Run(p.exitValue(), new String(stderr, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly();
    }
  }

  private static List<String> protos(Path sources) throws IOException {
    try (Stream<Path> s = Files.walk(sources)) {
      return s.filter(p -> p.toString().endsWith(".proto"))
          .map(p -> sources.relativize(p).toString()).sorted().collect(Collectors.toList());
    }
  }

  private static Set<String> generatedStubs(Path out) throws IOException {
    try (Stream<Path> s = Files.walk(out)) {
      return s.filter(p -> p.getFileName().toString().endsWith("Rpc.java"))
          .map(p -> out.relativize(p).toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void examplesThatUseThePluginCompileWithoutAnyWarning(@TempDir Path out) throws Exception {
    Path sources = root.resolve("rpc-examples/src/main/proto");
    int plugin = 0;
    int generic = 0;
    for (String proto : protos(sources)) {
      boolean genericServices = Files.readString(sources.resolve(proto))
          .contains("java_generic_services = true");
      Run run = protoc(sources, out.resolve(proto), List.of(proto));
      assertEquals(0, run.exit(), () -> proto + ": " + run.stderr());
      assertFalse(generatedStubs(out.resolve(proto)).isEmpty(), proto + " got no stubs");
      if (genericServices) {
        generic++;
        assertTrue(run.stderr().contains(GENERIC_SERVICES_WARNING),
            () -> proto + " keeps generic services, yet protoc did not warn: " + run.stderr());
      } else {
        plugin++;
        assertEquals("", run.stderr(), proto + ": protoc printed something");
      }
    }
    assertTrue(plugin > 0, "no example uses the plugin alone");
    assertEquals(1, generic, "one example keeps generic services, so that path stays tested");
  }

  @Test
  void everyTortureServiceGetsItsClassAndProtocSaysNothing(@TempDir Path out) throws Exception {
    Path sources = root.resolve("rpc-compiler-tests/src/main/proto");
    Run run = protoc(sources, out, protos(sources));
    assertEquals(0, run.exit(), run::stderr);
    assertEquals("", run.stderr());
    assertEquals(new TreeSet<>(List.of("io/protorpc/torture/deep/FirstRpc.java",
        "io/protorpc/torture/deep/SecondRpc.java", "io/protorpc/torture/imports/ImporterRpc.java",
        "torture/ed/PingerRpc.java", "torture/keywords/ServiceRpc.java",
        "torture/opt/MaybeRpc.java")), generatedStubs(out));
  }

  @Test
  void aStreamingRpcFailsProtocWithItsName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("chat.proto"), """
        syntax = "proto3";
        package demo;
        message Line { string text = 1; }
        service Chat {
          rpc Say(Line) returns (Line);
          rpc Talk(stream Line) returns (stream Line);
        }
        """);
    Run run = protoc(dir, dir.resolve("out"), List.of("chat.proto"));
    assertNotEquals(0, run.exit());
    assertTrue(run.stderr().contains("chat.proto: rpc demo.Chat.Talk streams its request and its "
        + "response"), run::stderr);
    assertEquals(Set.of(), generatedStubs(dir.resolve("out")), "nothing is written for it");
  }

  @Test
  void anEditionNewerThan2023IsRefusedByProtoc(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("next.proto"), """
        edition = "2024";
        package demo;
        message M { string a = 1; }
        service S { rpc A(M) returns (M); }
        """);
    Run run = protoc(dir, dir.resolve("out"), List.of("next.proto"));
    assertNotEquals(0, run.exit());
    assertTrue(run.stderr().contains("edition 2024, which isn't supported by code generator "
        + "protoc-gen-protorpc"), run::stderr);
  }
}
