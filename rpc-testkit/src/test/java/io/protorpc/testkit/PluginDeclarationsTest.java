package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.spi.Framing;
import io.protorpc.testkit.broken.PlainFraming;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * The suites' declaration check, on a framing loaded from a directory (class path) or a module
 * (module path) that has or lacks each declaration: it passes only when ServiceLoader would find
 * the framing on both paths, whichever path the check itself runs on. (These tests run on the
 * class path, see rpc-testkit's pom; the module is defined in a layer of its own, with rpc-api.)
 */
class PluginDeclarationsTest {
  private static final String SERVICES = "META-INF/services/" + Framing.class.getName();
  private static final String PACKAGE = PlainFraming.class.getPackageName();

  @TempDir
  Path dir;

  @Test
  void classPathWithoutServicesFileFails() throws Exception {
    copyClass();
    String message = failure(onClassPath());
    assertTrue(message.contains("there is no " + SERVICES + " beside it"), message);
  }

  @Test
  void classPathWithServicesFileListingAnotherClassFails() throws Exception {
    copyClass();
    writeServices("com.example.OtherFraming # a comment");
    String message = failure(onClassPath());
    assertTrue(message.contains("lists [com.example.OtherFraming] but not it"), message);
  }

  @Test
  void classPathWithServicesFilePasses() throws Exception {
    copyClass();
    writeServices("# the example\n" + PlainFraming.class.getName());
    suiteFor(onClassPath()).isDeclaredWhereServiceLoaderLooks();
  }

  @Test
  void moduleWithProvidesButNoServicesFileFails() throws Exception {
    copyClass();
    String message = moduleFailure(true);
    assertTrue(message.contains("there is no " + SERVICES), message);
    assertTrue(!message.contains("does not declare"), message);
  }

  @Test
  void moduleWithServicesFileButNoProvidesFails() throws Exception {
    copyClass();
    writeServices(PlainFraming.class.getName());
    String message = moduleFailure(false);
    assertTrue(message.contains("module broken.plugin does not declare 'provides "
        + Framing.class.getName() + " with " + PlainFraming.class.getName() + "'"), message);
  }

  @Test
  void moduleWithBothPasses() throws Exception {
    copyClass();
    writeServices(PlainFraming.class.getName());
    ModuleLayer layer = layer(true);
    Class<?> provider = provider(layer);
    assertEquals("broken.plugin", provider.getModule().getName());
    PluginDeclarations.assertDeclared(framingKind(layer), provider);
  }

  private static FramingConformanceSuite suiteFor(Framing framing) {
    return new FramingConformanceSuite() {
      @Override
      protected Framing framing() {
        return framing;
      }
    };
  }

  private static String failure(Framing framing) {
    return assertThrows(AssertionFailedError.class,
        () -> suiteFor(framing).isDeclaredWhereServiceLoaderLooks()).getMessage();
  }

  private void copyClass() throws IOException {
    String file = PlainFraming.class.getName().replace('.', '/') + ".class";
    Path target = dir.resolve(file);
    Files.createDirectories(target.getParent());
    try (InputStream in = PlainFraming.class.getResourceAsStream("PlainFraming.class")) {
      Files.write(target, in.readAllBytes());
    }
  }

  private void writeServices(String content) throws IOException {
    Files.createDirectories(dir.resolve("META-INF/services"));
    Files.writeString(dir.resolve(SERVICES), content + "\n");
  }

  /** The copy in {@link #dir}, loaded by a class loader of its own: an unnamed module. */
  private Framing onClassPath() throws Exception {
    URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        PluginDeclarationsTest.class.getClassLoader()) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(PACKAGE + ".")) {
          return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {  // this copy, not the test's own
          Class<?> c = findLoadedClass(name);
          return c != null ? c : findClass(name);
        }
      }
    };
    Framing framing = newFraming(loader.loadClass(PlainFraming.class.getName()));
    assertTrue(!framing.getClass().getModule().isNamed());
    return framing;
  }

  private String moduleFailure(boolean provides) throws Exception {
    ModuleLayer layer = layer(provides);
    return assertThrows(AssertionFailedError.class,
        () -> PluginDeclarations.assertDeclared(framingKind(layer), provider(layer)))
        .getMessage();
  }

  /**
   * A layer of module {@code broken.plugin} (the copy in {@link #dir}, with or without {@code
   * provides}) and the rpc-api and protobuf-java it requires, in one class loader.
   */
  private ModuleLayer layer(boolean provides) throws Exception {
    ModuleDescriptor.Builder b = ModuleDescriptor.newModule("broken.plugin")
        .requires("io.protorpc").exports(PACKAGE);
    if (provides) {
      b.provides(Framing.class.getName(), List.of(PlainFraming.class.getName()));
    }
    ModuleReference module = new ModuleReference(b.build(), dir.toUri()) {
      @Override
      public ModuleReader open() {
        return new DirectoryReader(dir);
      }
    };
    ModuleFinder brokenPlugin = new ModuleFinder() {
      @Override
      public Optional<ModuleReference> find(String name) {
        return name.equals("broken.plugin") ? Optional.of(module) : Optional.empty();
      }

      @Override
      public Set<ModuleReference> findAll() {
        return Set.of(module);
      }
    };
    ModuleFinder dependencies = ModuleFinder.of(location(Framing.class),
        location(com.google.protobuf.Message.class));
    ModuleLayer boot = ModuleLayer.boot();
    Configuration config = boot.configuration().resolve(
        ModuleFinder.compose(brokenPlugin, dependencies), ModuleFinder.of(),
        Set.of("broken.plugin"));
    return boot.defineModulesWithOneLoader(config, ClassLoader.getPlatformClassLoader());
  }

  private static Class<?> provider(ModuleLayer layer) throws ClassNotFoundException {
    return layer.findLoader("broken.plugin").loadClass(PlainFraming.class.getName());
  }

  /** The layer's own {@code Framing}: its rpc-api is a copy of ours in another class loader. */
  private static Class<?> framingKind(ModuleLayer layer) throws ClassNotFoundException {
    return layer.findLoader("io.protorpc").loadClass(Framing.class.getName());
  }

  private static Path location(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static Framing newFraming(Class<?> type) throws Exception {
    return (Framing) type.getConstructor().newInstance();
  }

  /** A module's content: the files of a directory. */
  private record DirectoryReader(Path dir) implements ModuleReader {
    @Override
    public Optional<URI> find(String name) {
      Path p = dir.resolve(name);
      return Files.isRegularFile(p) ? Optional.of(p.toUri()) : Optional.empty();
    }

    @Override
    public Stream<String> list() throws IOException {
      try (Stream<Path> files = Files.walk(dir)) {
        return files.filter(Files::isRegularFile)
            .map(p -> dir.relativize(p).toString().replace(File.separatorChar, '/'))
            .toList().stream();
      }
    }

    @Override
    public void close() {}
  }
}
