package io.protorpc.cli;

import com.google.protobuf.Any;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.RuntimeVersion;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs protoc to turn .proto files into a descriptor set. protoc is looked for, in this order: the
 * {@code --protoc} option; the {@code PROTOC} environment variable; {@code protoc} on the {@code
 * PATH}; the {@code com.google.protobuf:protoc} executable Maven put in {@code
 * ~/.m2/repository} (a build of this repository puts it there), which is copied to a temporary
 * file to be run. The well-known types ({@code google/protobuf/*.proto}) come from the
 * protobuf-java jar, so files may import them with no {@code -I} for them.
 */
final class Protoc {
  /** protoc gets this long to compile; then it is killed. */
  static final long TIMEOUT_SECONDS = 60;

  private static final List<String> WELL_KNOWN = List.of("any", "api", "descriptor", "duration",
      "empty", "field_mask", "java_features", "source_context", "struct", "timestamp", "type",
      "wrappers");

  private Protoc() {}

  /** Where protoc is, and whether it must be copied to become executable. */
  record Found(Path path, String how, boolean copy) {}

  static Found find(Path explicit, Map<String, String> env) throws CliException {
    if (explicit != null) {
      return new Found(executable(explicit, "--protoc"), "--protoc", false);
    }
    String fromEnv = env.get("PROTOC");
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return new Found(executable(Path.of(fromEnv), "$PROTOC"), "$PROTOC", false);
    }
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, isWindows() ? "protoc.exe" : "protoc");
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return new Found(p, "PATH", false);
        }
      }
    }
    Optional<Path> maven = fromMaven(Path.of(System.getProperty("user.home"), ".m2", "repository",
        "com", "google", "protobuf", "protoc"));
    if (maven.isPresent()) {
      return new Found(maven.get(), "~/.m2", true);
    }
    throw CliException.local("protoc not found: give --protoc PATH, set PROTOC, put protoc on the"
        + " PATH, or build this repository once (Maven then keeps protoc in ~/.m2)", null);
  }

  private static Path executable(Path p, String from) throws CliException {
    if (!Files.isRegularFile(p)) {
      throw CliException.usage(from + ": no file " + p);
    }
    return p;
  }

  /** This protobuf-java's own protoc version first, else the newest one there. */
  private static Optional<Path> fromMaven(Path dir) {
    String classifier = classifier();
    if (classifier == null || !Files.isDirectory(dir)) {
      return Optional.empty();
    }
    String ours = RuntimeVersion.MAJOR + "." + RuntimeVersion.MINOR + "." + RuntimeVersion.PATCH;
    List<String> versions = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.map(p -> p.getFileName().toString()).forEach(versions::add);
    } catch (IOException e) {
      return Optional.empty();
    }
    versions.sort(Comparator.comparing((String v) -> !v.equals(ours))
        .thenComparing(Comparator.reverseOrder()));
    for (String v : versions) {
      Path exe = dir.resolve(v).resolve("protoc-" + v + "-" + classifier + ".exe");
      if (Files.isRegularFile(exe)) {
        return Optional.of(exe);
      }
    }
    return Optional.empty();
  }

  /** The protoc artifact's classifier for this machine, or null. */
  private static String classifier() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx"
        : os.contains("windows") ? "windows" : null;
    String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
        : arch.equals("aarch64") || arch.equals("arm64") ? "aarch_64" : null;
    return o == null || a == null ? null : o + "-" + a;
  }

  private static boolean isWindows() {
    return System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("windows");
  }

  /**
   * Compiles {@code protos} with their imports into one descriptor set.
   *
   * @param includes protoc's {@code -I} directories; empty: each file's own directory
   */
  static FileDescriptorSet compile(Found protoc, List<Path> protos, List<Path> includes)
      throws CliException {
    Path work;
    try {
      work = Files.createTempDirectory("protorpc-protoc");
    } catch (IOException e) {
      throw CliException.local("cannot make a temporary directory: " + e.getMessage(), e);
    }
    try {
      Path wellKnown = work.resolve("include");
      extractWellKnownTypes(wellKnown);
      Path exe = protoc.path();
      if (protoc.copy()) {
        exe = Files.copy(exe, work.resolve("protoc"));
        if (!exe.toFile().setExecutable(true)) {
          throw CliException.local("cannot make " + exe + " executable", null);
        }
      }
      Path out = work.resolve("descriptors.pb");
      List<String> command = new ArrayList<>(List.of(exe.toString(),
          "--descriptor_set_out=" + out, "--include_imports"));
      List<Path> dirs = new ArrayList<>(includes);
      if (dirs.isEmpty()) {
        protos.forEach(p -> dirs.add(p.toAbsolutePath().getParent()));
      }
      dirs.stream().distinct().forEach(d -> command.add("-I" + d));
      command.add("-I" + wellKnown);
      protos.forEach(p -> command.add(p.toString()));
      run(command, work.resolve("protoc.log"), protoc);
      return FileDescriptorSet.parseFrom(Files.readAllBytes(out));
    } catch (IOException e) {
      throw CliException.local("protoc: " + e.getMessage(), e);
    } finally {
      deleteTree(work);
    }
  }

  private static void run(List<String> command, Path log, Found protoc)
      throws IOException, CliException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw CliException.local("protoc (" + protoc.path() + ") took more than "
            + TIMEOUT_SECONDS + " s", null);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw CliException.local("interrupted while protoc ran", e);
    }
    if (p.exitValue() != 0) {
      throw CliException.local("protoc (" + protoc.path() + ", from " + protoc.how()
          + ") failed:" + System.lineSeparator()
          + Files.readString(log, StandardCharsets.UTF_8).strip(), null);
    }
  }

  private static void extractWellKnownTypes(Path dir) throws IOException {
    Path google = Files.createDirectories(dir.resolve("google").resolve("protobuf"));
    for (String name : WELL_KNOWN) {
      try (InputStream in = Any.class.getResourceAsStream("/google/protobuf/" + name + ".proto")) {
        if (in != null) {
          Files.copy(in, google.resolve(name + ".proto"));
        }
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory left behind is no reason to fail the command
    }
  }
}
