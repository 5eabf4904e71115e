package io.protorpc.codec.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Compressor;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An uber-jar of rpc-api, this module and their dependencies, as maven-shade-plugin builds one:
 * with the services files merged the compressors are found; with them lost, the lookup says so
 * and how to fix it, rather than asking for an artifact that is already there.
 */
class ShadedJarTest {
  private static final String SERVICES = "META-INF/services/";

  @Test
  void aShadedJarThatLostItsServicesFilesSaysSo(@TempDir Path dir) throws Exception {
    // rpc-api's own services file is lost with the rest: not even identity is found
    String out = lookupZstd(shade(dir.resolve("lost.jar"), false));
    assertTrue(out.contains("no Compressor named 'zstd' found (found: none); "
        + "io.protorpc.codec.compress.ZstdCompressor is on the class path but was not "
        + "discovered: the services file META-INF/services/io.protorpc.spi.Compressor was lost "
        + "(a shaded jar?); merge them (maven-shade-plugin's ServicesResourceTransformer)"), out);
    assertTrue(!out.contains("add io.protorpc:rpc-codec-compress"), out);
  }

  @Test
  void aShadedJarWithMergedServicesFilesFindsTheCompressors(@TempDir Path dir) throws Exception {
    assertEquals("found ZstdCompressor", lookupZstd(shade(dir.resolve("merged.jar"), true)).strip());
  }

  /** Runs {@link LookupZstd} on the class path of the jar (and this module's test classes). */
  private static String lookupZstd(Path jar) throws Exception {
    String testClasses = Path.of(ShadedJarTest.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI()).toString();
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "--enable-native-access=ALL-UNNAMED", // else JDK 22+ warns in the output
        "-cp", jar + File.pathSeparator + testClasses, LookupZstd.class.getName())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
    return output;
  }

  /**
   * One jar of every module-path entry of this test run (rpc-api, protobuf-java, zstd-jni, this
   * module), without module descriptors, and with the services files merged or dropped.
   */
  private static Path shade(Path jar, boolean mergeServices) throws IOException {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    Map<String, ByteArrayOutputStream> services = new LinkedHashMap<>();
    for (String entry : System.getProperty("jdk.module.path").split(File.pathSeparator)) {
      Path source = Path.of(entry);
      for (Map.Entry<String, byte[]> e : read(source).entrySet()) {
        String name = e.getKey();
        if (name.startsWith(SERVICES)) {
          services.computeIfAbsent(name, n -> new ByteArrayOutputStream())
              .writeBytes(e.getValue());
          services.get(name).write('\n');
        } else if (!name.endsWith("module-info.class") && !name.startsWith("META-INF/MANIFEST")
            && !name.endsWith(".SF") && !name.endsWith(".RSA") && !name.endsWith(".DSA")) {
          entries.putIfAbsent(name, e.getValue());
        }
      }
    }
    assertTrue(services.containsKey(SERVICES + Compressor.class.getName()), services::toString);
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true"); // zstd-jni
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new JarEntry(e.getKey()));
        out.write(e.getValue());
      }
      if (mergeServices) {
        for (Map.Entry<String, ByteArrayOutputStream> e : services.entrySet()) {
          out.putNextEntry(new JarEntry(e.getKey()));
          out.write(e.getValue().toByteArray());
        }
      }
    }
    return jar;
  }

  /** The files of a jar or a classes directory, by entry name. */
  private static Map<String, byte[]> read(Path source) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (Files.isDirectory(source)) {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(source)) {
        walk.filter(Files::isRegularFile).forEach(files::add);
      }
      for (Path f : files) {
        out.put(source.relativize(f).toString().replace(File.separatorChar, '/'),
            Files.readAllBytes(f));
      }
      return out;
    }
    try (JarFile jar = new JarFile(source.toFile())) {
      for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
        if (!e.isDirectory()) {
          try (InputStream in = jar.getInputStream(e)) {
            out.put(e.getName(), in.readAllBytes());
          }
        }
      }
    }
    return out;
  }

  /** Run in the child JVM. */
  static final class LookupZstd {
    public static void main(String[] args) {
      try {
        System.out.println("found " + PluginRegistry.find(Compressor.class, "zstd").getClass()
            .getSimpleName());
      } catch (IllegalArgumentException e) {
        System.out.println(e.getMessage());
      }
    }
  }
}
