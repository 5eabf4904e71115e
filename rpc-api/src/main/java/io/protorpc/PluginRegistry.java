package io.protorpc;

import io.protorpc.balancer.LoadBalancer;
import io.protorpc.resolver.NameResolver;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.MessageTransport;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
          MessageTransport.class, NameResolver.class, LoadBalancer.class);

  /** One of protorpc's own plugins: the artifact that brings it, for the not-found message. */
  private record Known(Class<? extends Plugin> kind, String name, String artifact,
      String className, boolean byDefault) {
    Known(Class<? extends Plugin> kind, String name, String artifact, String className) {
      this(kind, name, artifact, className, true);
    }
  }

  private static final List<Known> KNOWN = List.of(
      new Known(Transport.class, "netty", "io.protorpc:rpc-transport-netty",
          "io.protorpc.transport.netty.NettyTransport"),
      new Known(Transport.class, "socket", "io.protorpc:rpc-transport-socket",
          "io.protorpc.transport.socket.SocketTransport"),
      new Known(Transport.class, "inproc", "io.protorpc:rpc-transport-inproc",
          "io.protorpc.transport.inproc.InProcessTransport", false), // InProcessAddress only
      new Known(Codec.class, "protobuf", "io.protorpc:rpc-codec-protobuf",
          "io.protorpc.codec.protobuf.ProtobufCodec"),
      new Known(Compressor.class, "zstd", "io.protorpc:rpc-codec-compress",
          "io.protorpc.codec.compress.ZstdCompressor"),
      new Known(Compressor.class, "gzip", "io.protorpc:rpc-codec-compress",
          "io.protorpc.codec.compress.GzipCompressor"),
      new Known(Compressor.class, "identity", "io.protorpc:rpc-api",
          "io.protorpc.builtin.IdentityCompressor"),
      new Known(Framing.class, "length", "io.protorpc:rpc-api",
          "io.protorpc.builtin.LengthFraming"),
      new Known(Framing.class, "delimiter", "io.protorpc:rpc-api",
          "io.protorpc.builtin.DelimiterFraming"),
      new Known(MessageTransport.class, "amqp", "io.protorpc:rpc-transport-amqp",
          "io.protorpc.transport.amqp.AmqpTransport"));

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
    if (unavailable != null) {
      throw new PluginNotFoundException(kind.getSimpleName() + " '" + name
          + "' is installed but unavailable: "
          + unavailable.unavailableReason().orElse("no reason given"));
    }
    throw notFound(kind, name);
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
        .orElseThrow(() -> notFound(kind, null));
  }

  /**
   * The one shape of every "not installed" error: what was asked for, the names that are
   * installed, and what to do: add the artifact that brings it, or, when its class is right here
   * but ServiceLoader did not list it, restore the lost declaration.
   *
   * @param name the name asked for, or null when any available provider would do
   */
  static PluginNotFoundException notFound(Class<? extends Plugin> kind, String name) {
    List<String> installed = names(kind);
    StringBuilder msg = new StringBuilder("no ")
        .append(name == null ? "available " + kind.getSimpleName()
            : kind.getSimpleName() + " named '" + name + "'")
        .append(" found (found: ")
        .append(installed.isEmpty() ? "none" : String.join(", ", installed)).append(")");
    List<Known> candidates = KNOWN.stream()
        .filter(k -> k.kind() == kind && (name == null
            ? k.byDefault() && !installed.contains(k.name()) : k.name().equals(name)))
        .toList();
    for (Known k : candidates) {
      Optional<Class<?>> present = loadable(k.className());
      if (present.isPresent()) {
        return new PluginNotFoundException(msg + "; " + undiscovered(present.get()));
      }
    }
    List<String> artifacts = candidates.stream().map(Known::artifact).distinct().toList();
    if (!artifacts.isEmpty()) {
      msg.append("; add ").append(String.join(" or ", artifacts))
          .append(" to the module path or class path");
    }
    return new PluginNotFoundException(msg.toString());
  }

  /** Why a provider whose class is loadable was not discovered, and what to do about it. */
  private static String undiscovered(Class<?> provider) {
    String kind = KINDS.stream().filter(k -> k.isAssignableFrom(provider)).findFirst()
        .map(Class::getName).orElse("?");
    String fix = " or register it: PluginRegistry.register(new " + provider.getSimpleName()
        + "())";
    if (provider.getModule().isNamed()) {
      return provider.getName() + " is in module " + provider.getModule().getName()
          + " but was not discovered: the module does not declare 'provides " + kind
          + " with " + provider.getName() + "'; declare it" + fix;
    }
    return provider.getName() + " is on the class path but was not discovered: the services "
        + "file META-INF/services/" + kind + " was lost (a shaded jar?); merge them "
        + "(maven-shade-plugin's ServicesResourceTransformer)" + fix;
  }

  /** The class, if this JVM can load it where ServiceLoader would have looked. */
  private static Optional<Class<?>> loadable(String className) {
    for (ClassLoader loader : new ClassLoader[] {
        Thread.currentThread().getContextClassLoader(), PluginRegistry.class.getClassLoader()}) {
      try {
        return Optional.of(Class.forName(className, false, loader));
      } catch (ClassNotFoundException | LinkageError e) {
        // not here: the artifact is missing, which the message then says
      }
    }
    return Optional.empty();
  }

  /**
   * The available transport with the highest priority among those that {@link
   * Transport#supports support} {@code address}: what a client or server uses when given an
   * address and no transport.
   *
   * @throws PluginNotFoundException if none does, naming the installed ones
   */
  public static Transport transportFor(java.net.SocketAddress address) {
    Objects.requireNonNull(address, "address");
    return all(Transport.class).stream()
        .filter(t -> t.isAvailable() && t.supports(address))
        .max(Comparator.comparingInt(Plugin::priority))
        .orElseThrow(() -> address instanceof InProcessAddress
            ? notFound(Transport.class, "inproc") : notFound(Transport.class, null));
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
