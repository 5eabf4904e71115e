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
  void lookupOfUnloadableZstdSaysWhy() throws Exception {
    List<String> path = new ArrayList<>();
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      String value = System.getProperty(property);
      if (value != null && !value.isEmpty()) {
        path.add(value);
      }
    }
    path.add(Path.of(CompressModuleTest.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI()).toString());
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Dos.arch=bogus", "-cp", String.join(File.pathSeparator, path),
        LookupZstd.class.getName())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child JVM finished");
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(output.contains("Compressor 'zstd' is installed but unavailable"), output);
    assertTrue(output.contains("zstd-jni native library cannot be loaded"), output);
    assertTrue(output.contains("bogus"), output);
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
