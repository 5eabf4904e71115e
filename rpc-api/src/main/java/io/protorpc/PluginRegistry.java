package io.protorpc;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.MessageTransport;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * Finds plugins by name: those discovered with {@link ServiceLoader} (module path and class path)
 * plus those {@link #register registered} explicitly, for shaded jars or tests. This is the only
 * place protorpc calls ServiceLoader, since {@code io.protorpc} is the module that declares {@code
 * uses}.
 *
 * <p>Thread-safe. Discovery runs once per plugin kind, on first use; registration may happen at
 * any time and wins over a discovered provider of the same name.
 */
public final class PluginRegistry {
  private static final List<Class<? extends Plugin>> KINDS =
      List.of(Transport.class, Framing.class, Compressor.class, Codec.class,
          MessageTransport.class);

  /** Which artifact provides each of protorpc's own plugins, for the not-found message. */
  private static final Map<String, String> ARTIFACTS = Map.of(
      "Transport/socket", "io.protorpc:rpc-transport-socket",
      "Transport/netty", "io.protorpc:rpc-transport-netty",
      "MessageTransport/amqp", "io.protorpc:rpc-transport-amqp",
      "Compressor/zstd", "io.protorpc:rpc-codec-compress",
      "Compressor/gzip", "io.protorpc:rpc-codec-compress",
      "Codec/protobuf", "io.protorpc:rpc-codec-protobuf",
      "Framing/length", "io.protorpc:rpc-api",
      "Framing/delimiter", "io.protorpc:rpc-api",
      "Compressor/identity", "io.protorpc:rpc-api");

  private static final CopyOnWriteArrayList<Plugin> REGISTERED = new CopyOnWriteArrayList<>();
  private static final ClassValue<List<Plugin>> DISCOVERED = new ClassValue<>() {
    @Override
    protected List<Plugin> computeValue(Class<?> kind) {
      return discover(kind);
    }
  };

  private PluginRegistry() {}

  /**
   * Registers a provider explicitly, e.g. when ServiceLoader metadata was lost in a shaded jar.
   * It shadows a discovered provider of the same kind and name.
   */
  public static void register(Plugin plugin) {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(plugin.name(), "plugin.name()");
    REGISTERED.add(0, plugin);
  }

  /** Removes an explicitly registered provider; returns whether it was registered. */
  public static boolean unregister(Plugin plugin) {
    return REGISTERED.remove(plugin);
  }

  /**
   * {@code plugin}, if it can work here; for instances a user builds, which the registry's lookup
   * never saw.
   *
   * @throws IllegalArgumentException if it is unavailable, saying why
   */
  static <T extends Plugin> T requireAvailable(T plugin) {
    Objects.requireNonNull(plugin, "plugin");
    plugin.unavailableReason().ifPresent(reason -> {
      throw new IllegalArgumentException(plugin.name() + " is not available here: " + reason);
    });
    return plugin;
  }

  /**
   * The available provider of {@code kind} named {@code name}.
   *
   * @throws PluginNotFoundException if none is installed under that name, or the one installed is
   *     unavailable (the message says why)
   */
  public static <T extends Plugin> T find(Class<T> kind, String name) {
    Objects.requireNonNull(name, "name");
    T unavailable = null;
    for (T p : all(kind)) {
      if (name.equals(p.name())) {
        if (p.isAvailable()) {
          return p;
        }
        unavailable = unavailable == null ? p : unavailable;
      }
    }
    String kindName = kind.getSimpleName();
    if (unavailable != null) {
      throw new PluginNotFoundException(kindName + " '" + name + "' is installed but unavailable: "
          + unavailable.unavailableReason().orElse("no reason given"));
    }
    StringBuilder msg = new StringBuilder()
        .append("no ").append(kindName).append(" named '").append(name).append("' found (found: ")
        .append(names(kind).isEmpty() ? "none" : String.join(", ", names(kind))).append(")");
    String artifact = ARTIFACTS.get(kindName + "/" + name);
    if (artifact != null) {
      msg.append("; add ").append(artifact).append(" to the module path or class path");
    }
    throw new PluginNotFoundException(msg.toString());
  }

  /** The available provider of {@code kind} named {@code name}, or empty. */
  public static <T extends Plugin> Optional<T> lookup(Class<T> kind, String name) {
    for (T p : all(kind)) {
      if (p.name().equals(name) && p.isAvailable()) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** The available provider of {@code kind} with the highest priority. */
  public static <T extends Plugin> T defaultFor(Class<T> kind) {
    return all(kind).stream()
        .filter(Plugin::isAvailable)
        .max(Comparator.comparingInt(Plugin::priority))
        .orElseThrow(() -> new PluginNotFoundException("no available " + kind.getSimpleName()
            + " installed (found: " + (names(kind).isEmpty() ? "none" : String.join(", ",
            names(kind))) + ")"));
  }

  /** Names of every installed provider of {@code kind}, available or not, without duplicates. */
  public static List<String> names(Class<? extends Plugin> kind) {
    return all(kind).stream().map(Plugin::name).distinct().sorted().collect(Collectors.toList());
  }

  /** Every provider of {@code kind}: registered ones first, then discovered ones. */
  public static <T extends Plugin> List<T> all(Class<T> kind) {
    if (!KINDS.contains(kind)) {
      throw new IllegalArgumentException("not a plugin kind: " + kind.getName());
    }
    List<T> out = new ArrayList<>();
    for (Plugin p : REGISTERED) {
      if (kind.isInstance(p)) {
        out.add(kind.cast(p));
      }
    }
    for (Plugin p : DISCOVERED.get(kind)) {
      out.add(kind.cast(p));
    }
    return out;
  }

  private static List<Plugin> discover(Class<?> kind) {
    List<Plugin> found = new ArrayList<>();
    ServiceLoader<?> loader = ServiceLoader.load(kind);
    var it = loader.iterator();
    // Bounded: a provider that fails keeps failing only once, but never trust a loop to a lookup.
    for (int attempts = 0; attempts < 10_000; attempts++) {
      try {
        if (!it.hasNext()) {
          break;
        }
        found.add((Plugin) it.next());
      } catch (ServiceConfigurationError e) {
        // A broken provider (e.g. a missing dependency) must not hide the others; it shows up
        // in the not-found message by its absence.
        continue;
      }
    }
    return List.copyOf(found);
  }
}
