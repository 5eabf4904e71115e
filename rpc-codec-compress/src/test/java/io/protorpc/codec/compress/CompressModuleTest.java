package io.protorpc.codec.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Compressor;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The providers are found through the module system, and an unusable zstd says why. */
class CompressModuleTest {

  @Test
  void providersAreFoundOnTheModulePath() {
    assertEquals("io.protorpc.codec.compress", ZstdCompressor.class.getModule().getName(),
        "tests run on the module path");
    assertInstanceOf(ZstdCompressor.class, PluginRegistry.find(Compressor.class, "zstd"));
    assertInstanceOf(GzipCompressor.class, PluginRegistry.find(Compressor.class, "gzip"));
    assertTrue(PluginRegistry.names(Compressor.class).containsAll(
        List.of("identity", "gzip", "zstd")), "" + PluginRegistry.names(Compressor.class));
  }

  /**
   * In a JVM where zstd-jni finds no native library for the platform (a bogus os.arch), the
   * provider is still listed, reports itself unavailable, and the lookup error gives the reason.
   */
  @Test
  void lookupOfZstdWithoutItsNativeLibrarySaysWhy() throws Exception {
    String output = lookupInChildJvm(true, "-Dos.arch=bogus");
    assertTrue(output.contains("Compressor 'zstd' is installed but unavailable"), output);
    assertTrue(output.contains("zstd-jni native library cannot be loaded"), output);
    assertTrue(output.contains("bogus"), output);
  }

  /** Even without the zstd-jni jar the provider loads, and says what is missing. */
  @Test
  void lookupOfZstdWithoutZstdJniSaysWhy() throws Exception {
    String output = lookupInChildJvm(false);
    assertTrue(output.contains("Compressor 'zstd' is installed but unavailable"), output);
    assertTrue(output.contains("NoClassDefFoundError"), output);
  }

  /** Runs {@link LookupZstd} on the class path (this JVM's paths, with or without zstd-jni). */
  private static String lookupInChildJvm(boolean withZstdJni, String... jvmOptions)
      throws Exception {
    List<String> path = new ArrayList<>();
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      for (String entry : System.getProperty(property, "").split(File.pathSeparator)) {
        if (!entry.isEmpty() && (withZstdJni || !entry.contains("zstd-jni"))) {
          path.add(entry);
        }
      }
    }
    path.add(Path.of(CompressModuleTest.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).toString());
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOptions));
    command.addAll(List.of("-cp", String.join(File.pathSeparator, path),
        LookupZstd.class.getName()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM finished");
    return output;
  }

  /** Run in the child JVM. */
  static final class LookupZstd {
    public static void main(String[] args) {
      System.out.println("zstd available: " + new ZstdCompressor().isAvailable());
      try {
        PluginRegistry.find(Compressor.class, "zstd");
        System.out.println("found");
      } catch (IllegalArgumentException e) {
        System.out.println(e.getMessage());
      }
    }
  }
}
