package io.protorpc;

import io.protorpc.spi.MessageTransport;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/** Finds the message transport for a target by the target's URI scheme. */
final class MessageTargets {
  /** Which artifact serves each scheme of protorpc's own message transports. */
  private static final Map<String, String> ARTIFACTS = Map.of(
      "amqp", "io.protorpc:rpc-transport-amqp",
      "amqps", "io.protorpc:rpc-transport-amqp");

  private MessageTargets() {}

  /**
   * The target, once checked to be a URI with a scheme.
   *
   * @throws IllegalArgumentException if it is not
   */
  static String checked(String target) {
    if (URI.create(Objects.requireNonNull(target, "target")).getScheme() == null) {
      throw new IllegalArgumentException("target '" + target + "' has no scheme, e.g. "
          + "amqp://host:5672/?topic=name");
    }
    return target;
  }

  /**
   * Whether a target of this scheme is a message target: one {@code given} is for, or one an
   * installed message transport serves, or one of protorpc's own message transports would.
   */
  static boolean isMessageTarget(String scheme, MessageTransport given) {
    if (given != null || ARTIFACTS.containsKey(scheme)) {
      return true;
    }
    for (MessageTransport t : PluginRegistry.all(MessageTransport.class)) {
      if (t.schemes().contains(scheme)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code given} if it serves the target's scheme, or else the installed available transport
   * that does.
   *
   * @throws IllegalArgumentException if the target has no scheme, or {@code given} does not serve
   *     it
   * @throws PluginNotFoundException if no installed transport serves it (naming the artifact to
   *     add)
   */
  static MessageTransport transportFor(String target, MessageTransport given) {
    String scheme = URI.create(checked(target)).getScheme().toLowerCase(Locale.ROOT);
    if (given != null) {
      if (!given.schemes().contains(scheme)) {
        throw new IllegalArgumentException("transport '" + given.name() + "' serves "
            + given.schemes() + " targets, not " + scheme + "://");
      }
      return PluginRegistry.requireAvailable(given);
    }
    TreeSet<String> known = new TreeSet<>();
    for (MessageTransport t : PluginRegistry.all(MessageTransport.class)) {
      if (t.isAvailable() && t.schemes().contains(scheme)) {
        return t;
      }
      known.addAll(t.schemes());
    }
    String artifact = ARTIFACTS.get(scheme);
    throw new PluginNotFoundException("no message transport for " + scheme + ":// targets found"
        + " (found: " + (known.isEmpty() ? "none" : String.join(", ", known)) + ")"
        + (artifact == null ? "" : "; add " + artifact + " to the module path or class path"));
  }
}
