package io.protorpc.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;

/**
 * Whether a provider is declared everywhere ServiceLoader looks, whichever path the suite itself
 * runs on: a lookup through the registry proves only the path of this run (surefire runs a module
 * on the module path, where {@code provides} alone suffices), so the declarations are read
 * directly, from the provider's own jar, directory or module.
 */
final class PluginDeclarations {
  private PluginDeclarations() {}

  /**
   * Fails unless {@code provider}, a provider of the plugin kind {@code kind}, is listed in {@code META-INF/services/<kind>} of the jar or
   * module it comes from (the class path finds it only there) and, if it is in a named module,
   * declared by that module's {@code provides <kind> with <provider>} (the module path finds it
   * only there).
   */
  static void assertDeclared(Class<?> kind, Class<?> provider) {
    String file = "META-INF/services/" + kind.getName();
    List<String> problems = new ArrayList<>();
    List<String> listed = servicesFile(provider, file);
    if (listed == null) {
      problems.add("there is no " + file + " beside it, so it is not found on the class path");
    } else if (!listed.contains(provider.getName())) {
      problems.add(file + " beside it lists " + listed + " but not it, so it is not found on "
          + "the class path");
    }
    Module module = provider.getModule();
    if (module.isNamed() && module.getDescriptor().provides().stream().noneMatch(p ->
        p.service().equals(kind.getName()) && p.providers().contains(provider.getName()))) {
      problems.add("module " + module.getName() + " does not declare 'provides " + kind.getName()
          + " with " + provider.getName() + "', so it is not found on the module path");
    }
    if (!problems.isEmpty()) {
      fail(provider.getName() + " (from " + origin(provider) + "): " + String.join("; ", problems)
          + ". Declare it in both places (README: Writing a plugin, step 3).");
    }
  }

  /**
   * The provider names in {@code file} of the provider's own module, jar or directory (not the
   * first such file on the class path, which may be another plugin's), or null if it has none.
   */
  private static List<String> servicesFile(Class<?> provider, String file) {
    try {
      Module module = provider.getModule();
      if (module.isNamed()) {
        try (InputStream in = module.getResourceAsStream(file)) {
          return in == null ? null : providerNames(in);
        }
      }
      String base = origin(provider);
      Enumeration<URL> found = provider.getClassLoader().getResources(file);
      while (found.hasMoreElements()) {
        URL url = found.nextElement();
        String u = url.toString();
        if (u.equals(base + file) || u.equals("jar:" + base + "!/" + file)) {
          try (InputStream in = url.openStream()) {
            return providerNames(in);
          }
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " of " + provider.getName(), e);
    }
  }

  private static String origin(Class<?> provider) {
    if (provider.getModule().isNamed()) {
      return "module " + provider.getModule().getName();
    }
    CodeSource source = provider.getProtectionDomain().getCodeSource();
    return source == null || source.getLocation() == null ? "(unknown)"
        : source.getLocation().toString();
  }

  /** The class names a services file lists: one a line, {@code #} starting a comment. */
  private static List<String> providerNames(InputStream in) throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
      int comment = line.indexOf('#');
      String name = (comment >= 0 ? line.substring(0, comment) : line).strip();
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }
}
