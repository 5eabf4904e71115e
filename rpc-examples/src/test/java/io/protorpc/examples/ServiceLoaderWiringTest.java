package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.PluginRegistry;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Proves the plugins are found by name both ways a deployment can load them: as named modules on
 * the module path ({@code provides} in module-info) and as plain jars on a class path
 * ({@code META-INF/services}), the latter in a fresh class loader holding only rpc-api,
 * protobuf-java, the protobuf codec, the socket transport, the example varint framing and the
 * compressors (with zstd-jni).
 */
class ServiceLoaderWiringTest {
  private static final Map<String, String> EXPECTED = Map.of(
      "Transport/socket", "io.protorpc.transport.socket",
      "Transport/netty", "io.protorpc.transport.netty",
      "Codec/protobuf", "io.protorpc.codec.protobuf",
      "Framing/length", "io.protorpc",
      "Framing/delimiter", "io.protorpc",
      "Framing/varint", "io.protorpc.examples.plugin",
      "Compressor/identity", "io.protorpc",
      "Compressor/zstd", "io.protorpc.codec.compress",
      "Compressor/gzip", "io.protorpc.codec.compress");

  /** The class-path check leaves Netty out: it would need all of Netty's jars beside it. */
  private static final Map<String, String> CLASS_PATH_EXPECTED = withoutNetty();

  private static Map<String, String> withoutNetty() {
    Map<String, String> m = new TreeMap<>(EXPECTED);
    m.remove("Transport/netty");
    return m;
  }

  private static Path[] artifacts() throws URISyntaxException, ClassNotFoundException {
    return new Path[] {
        locationOf(PluginRegistry.class),
        locationOf(com.google.protobuf.Message.class),
        locationOf(PluginRegistry.find(Codec.class, "protobuf").getClass()),
        locationOf(PluginRegistry.find(Transport.class, "socket").getClass()),
        locationOf(PluginRegistry.find(Framing.class, "varint").getClass()),
        locationOf(PluginRegistry.find(Compressor.class, "zstd").getClass()),
        locationOf(Class.forName("com.github.luben.zstd.Zstd", false,
            PluginRegistry.find(Compressor.class, "zstd").getClass().getClassLoader())),
    };
  }

  private static Path locationOf(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  @Test
  void modulePathFindsEveryPluginByName() {
    // surefire runs this module's tests on the module path, with the plugin modules resolved as
    // service providers (they are not `requires`d), exactly as `java -p ... -m` does for the demo
    assertTrue(ServiceLoaderWiringTest.class.getModule().isNamed(), "not on the module path");
    Map<String, String> found = new TreeMap<>();
    for (Class<? extends Plugin> kind : List.of(Transport.class, Codec.class, Framing.class,
        Compressor.class)) {
      for (String name : PluginRegistry.names(kind)) {
        Module m = PluginRegistry.find(kind, name).getClass().getModule();
        assertTrue(m.isNamed(), kind.getSimpleName() + " " + name + " is not in a named module");
        found.put(kind.getSimpleName() + "/" + name, m.getName());
      }
    }
    assertEquals(new TreeMap<>(EXPECTED), found);
  }

  @Test
  void classPathFindsEveryPluginByName() throws Exception {
    Path[] paths = artifacts();
    URL[] urls = new URL[paths.length];
    for (int i = 0; i < paths.length; i++) {
      urls[i] = paths[i].toUri().toURL();
    }
    // parent: the boot loader, which cannot see this JVM's module path (the platform loader would
    // delegate to the application loader for the io.protorpc packages)
    Thread self = Thread.currentThread();
    ClassLoader previous = self.getContextClassLoader();
    try (URLClassLoader loader = new URLClassLoader(urls, null)) {
      // PluginRegistry looks up with the context class loader, as an application server would set it
      self.setContextClassLoader(loader);
      Class<?> registry = loader.loadClass("io.protorpc.PluginRegistry");
      assertFalse(registry.getModule().isNamed(), "on the class path everything is unnamed");
      Map<String, String> found = new TreeMap<>();
      for (String key : CLASS_PATH_EXPECTED.keySet()) {
        String[] kindAndName = key.split("/");
        Class<?> spi = loader.loadClass("io.protorpc.spi." + kindAndName[0]);
        Object provider = registry.getMethod("find", Class.class, String.class)
            .invoke(null, spi, kindAndName[1]);
        assertEquals(loader, provider.getClass().getClassLoader());
        assertFalse(provider.getClass().getModule().isNamed());
        found.put(key, nameOf(provider));
      }
      Map<String, String> expectedNames = new TreeMap<>();
      CLASS_PATH_EXPECTED.keySet().forEach(k -> expectedNames.put(k, k.split("/")[1]));
      assertEquals(expectedNames, found);
    } finally {
      self.setContextClassLoader(previous);
    }
  }

  private static String nameOf(Object provider) throws ReflectiveOperationException {
    // the provider's Plugin interface is the layer's copy, not ours: call name() reflectively
    Class<?> plugin = provider.getClass().getClassLoader().loadClass("io.protorpc.spi.Plugin");
    return (String) plugin.getMethod("name").invoke(provider);
  }
}
