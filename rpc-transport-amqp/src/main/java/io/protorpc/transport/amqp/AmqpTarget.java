package io.protorpc.transport.amqp;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A parsed target: {@code amqp[s]://[user[:password]@]host[:port][/vhost]?topic=NAME[&exchange=
 * NAME][&heartbeat=SECONDS]}. User, password and virtual host are URL-decoded; an empty or absent
 * virtual host is RabbitMQ's default {@code /} (write another one {@code %2F}-encoded if it has a
 * slash). Immutable.
 */
record AmqpTarget(
    boolean tls,
    String host,
    int port,
    String username,
    String password,
    String virtualHost,
    String topic,
    String exchange,
    Duration heartbeat) {

  static final String DEFAULT_EXCHANGE = "protorpc";
  static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
  /** Letters, digits, '.', '_' and '-': never '/', which separates a topic from its fanout key. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
  private static final Set<String> PARAMETERS = Set.of("topic", "exchange", "heartbeat");

  /** The routing key and queue name of the topic's shared request queue. */
  String requestKey() {
    return topic;
  }

  /** The routing key every server's own fanout queue is bound with. */
  String fanoutKey() {
    return topic + "/fanout";
  }

  /** For messages and logs: no credentials. */
  String describe() {
    return (tls ? "amqps" : "amqp") + "://" + host + ":" + port
        + (virtualHost.equals("/") ? "" : "/" + virtualHost) + " topic '" + topic + "'";
  }

  /**
   * Parses a target.
   *
   * @throws IllegalArgumentException if it is not an amqp or amqps URI with a valid topic, or has
   *     a parameter this transport does not know
   */
  static AmqpTarget parse(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
      throw new IllegalArgumentException("not an amqp target: " + uri);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("target " + redact(uri) + " names no host");
    }
    boolean tls = scheme.equals("amqps");
    int port = uri.getPort() == -1 ? (tls ? 5671 : 5672) : uri.getPort();
    String user = "guest";
    String password = "guest";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : "";
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.startsWith("/")) {
      path = path.substring(1);
    }
    if (path.contains("/")) {
      throw new IllegalArgumentException("target " + redact(uri) + ": the path is the virtual "
          + "host, one segment (write a '/' inside it as %2F)");
    }
    String vhost = path.isEmpty() ? "/" : decode(path);
    Map<String, String> query = query(uri);
    for (String key : query.keySet()) {
      if (!PARAMETERS.contains(key)) {
        throw new IllegalArgumentException("target " + redact(uri) + ": unknown parameter '"
            + key + "' (known: topic, exchange, heartbeat)");
      }
    }
    String topic = query.get("topic");
    if (topic == null || !NAME.matcher(topic).matches()) {
      throw new IllegalArgumentException("target " + redact(uri) + " needs ?topic=NAME, a name "
          + "of 1 to 200 letters, digits, '.', '_' or '-'");
    }
    String exchange = query.getOrDefault("exchange", DEFAULT_EXCHANGE);
    if (!NAME.matcher(exchange).matches() || exchange.startsWith("amq.")) {
      throw new IllegalArgumentException("target " + redact(uri) + ": exchange must be a name of "
          + "letters, digits, '.', '_' or '-' not starting with 'amq.'");
    }
    Duration heartbeat = DEFAULT_HEARTBEAT;
    if (query.containsKey("heartbeat")) {
      try {
        heartbeat = Duration.ofSeconds(Integer.parseInt(query.get("heartbeat")));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("target " + redact(uri) + ": heartbeat is whole seconds");
      }
    }
    return new AmqpTarget(tls, uri.getHost(), port, user, password, vhost, topic, exchange,
        heartbeat);
  }

  /** The URI without its password, for messages. */
  static String redact(URI uri) {
    String info = uri.getRawUserInfo();
    if (info == null || !info.contains(":")) {
      return uri.toString();
    }
    return uri.toString().replace(info, info.substring(0, info.indexOf(':')) + ":***");
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> m = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return m;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (m.putIfAbsent(key, value) != null) {
        throw new IllegalArgumentException("target " + redact(uri) + ": parameter '" + key
            + "' given twice");
      }
    }
    return m;
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return describe(); // never the password
  }
}
