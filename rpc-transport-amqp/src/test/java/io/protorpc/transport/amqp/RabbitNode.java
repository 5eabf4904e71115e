package io.protorpc.transport.amqp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private RabbitMQ node for tests: its own directories under a fresh temporary directory, its
 * own epmd, free loopback ports, started and stopped by process id (never by name), so that it
 * touches no other broker on the machine and leaves nothing behind.
 *
 * <p>Needs Debian's {@code rabbitmq-server} package ({@code ./run-tests.sh} installs it); without
 * it, {@link #start} fails saying how to install it. Every wait is bounded. Not thread-safe.
 */
final class RabbitNode implements AutoCloseable {
  private static final Path SERVER_SCRIPT = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");
  private static final long START_TIMEOUT_MILLIS = 180_000; // about 12 s idle, far longer on a busy machine
  private static final long STOP_TIMEOUT_MILLIS = 20_000;
  private static final String HOST = "127.0.0.1";

  private final Path dir;
  private final String nodeName;
  private final int amqpPort;
  private final int distPort;
  private final int epmdPort;
  private final int tlsPort; // 0: no TLS listener
  private final Process epmd;
  private final Thread shutdownHook;
  private Process broker; // the wrapper script; the Erlang VM is its child
  private boolean closed;

  private RabbitNode(Path dir, String nodeName, int[] ports, Process epmd) {
    this.dir = dir;
    this.nodeName = nodeName;
    this.amqpPort = ports[0];
    this.distPort = ports[1];
    this.epmdPort = ports[2];
    this.tlsPort = ports[3];
    this.epmd = epmd;
    this.shutdownHook = new Thread(this::killEverything, "rabbit-node-cleanup");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts a node and waits until it accepts AMQP connections.
   *
   * @throws IllegalStateException if RabbitMQ is not installed, or the node did not start in time
   *     (with the tail of its log)
   */
  static RabbitNode start(String name) throws IOException {
    return start(name, null);
  }

  /**
   * Starts a node with its own configuration: the user and password it creates instead of
   * {@code guest}, and, with {@code tls}, an amqps listener on another free port serving the
   * testkit's server certificate (CN=localhost, IP 127.0.0.1, signed by the test CA).
   */
  static RabbitNode start(String name, Config config) throws IOException {
    requireInstalled();
    Path dir = Files.createTempDirectory("protorpc-rabbit-" + name + "-");
    int[] ports = freePorts(4);
    if (config == null || !config.tls()) {
      ports[3] = 0;
    }
    if (config != null) {
      config.write(dir, ports[3]);
    }
    String epmdBin = findOnPath("epmd");
    Process epmd = new ProcessBuilder(epmdBin, "-port", Integer.toString(ports[2]),
        "-address", HOST)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("epmd.out").toFile())
        .start();
    RabbitNode node;
    try {
      awaitPort(ports[2], epmd, 10_000, dir.resolve("epmd.out"));
      node = new RabbitNode(dir, name + "-" + ProcessHandle.current().pid() + "@localhost",
          ports, epmd);
    } catch (RuntimeException | IOException e) {
      destroy(epmd.toHandle());
      deleteTree(dir);
      throw e;
    }
    try {
      node.startBroker();
      return node;
    } catch (RuntimeException | IOException e) {
      node.close();
      throw e;
    }
  }

  /** The AMQP URI of this node, e.g. {@code amqp://127.0.0.1:5672}, without a path or query. */
  String uri() {
    return "amqp://" + HOST + ":" + amqpPort;
  }

  /** A target for the given topic on this node. */
  String target(String topic) {
    return uri() + "/?topic=" + topic;
  }

  int port() {
    return amqpPort;
  }

  /** The amqps port, or 0 without TLS. */
  int tlsPort() {
    return tlsPort;
  }

  /** A node's own settings (see {@link #start(String, Config)}). */
  record Config(String user, String password, boolean tls) {
    void write(Path dir, int tlsPort) throws IOException {
      StringBuilder conf = new StringBuilder()
          .append("default_user = ").append(user).append('\n')
          .append("default_pass = ").append(password).append('\n');
      if (tls) {
        io.protorpc.testkit.TestCertificates certs = io.protorpc.testkit.TestCertificates.get();
        conf.append("listeners.ssl.1 = ").append(HOST).append(':').append(tlsPort).append('\n')
            .append("ssl_options.cacertfile = ").append(certs.caCertificatePem()).append('\n')
            .append("ssl_options.certfile = ").append(certs.serverCertificatePem()).append('\n')
            .append("ssl_options.keyfile = ").append(certs.serverKeyPem()).append('\n')
            .append("ssl_options.verify = verify_none\n")
            .append("ssl_options.fail_if_no_peer_cert = false\n");
      }
      Files.writeString(dir.resolve("rabbitmq.conf"), conf);
    }
  }

  /** Stops the broker (gracefully, by the wrapper's pid) and keeps its data and epmd. */
  void stopBroker() {
    Process p = broker;
    broker = null;
    if (p != null) {
      stop(p);
    }
  }

  /** Starts the broker again on the same port and data directory (durable queues survive). */
  void startBroker() throws IOException {
    if (broker != null) {
      throw new IllegalStateException("broker is running");
    }
    Files.createDirectories(dir.resolve("home"));
    Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
    ProcessBuilder pb = new ProcessBuilder(SERVER_SCRIPT.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.out").toFile()));
    Map<String, String> env = pb.environment();
    env.put("HOME", dir.resolve("home").toString()); // the Erlang cookie goes here
    env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
    env.put("RABBITMQ_NODENAME", nodeName);
    env.put("RABBITMQ_NODE_IP_ADDRESS", HOST);
    env.put("RABBITMQ_NODE_PORT", Integer.toString(amqpPort));
    env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
    env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
    env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
    env.put("RABBITMQ_FEATURE_FLAGS_FILE", dir.resolve("feature_flags").toString());
    env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
    env.put("RABBITMQ_PID_FILE", dir.resolve("pid").toString());
    // none of the machine's own configuration applies to this node
    env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString());
    env.put("RABBITMQ_ADVANCED_CONFIG_FILE", dir.resolve("advanced.config").toString());
    env.put("RABBITMQ_CONF_ENV_FILE", dir.resolve("rabbitmq-env.conf").toString());
    broker = pb.start();
    awaitPort(amqpPort, broker, START_TIMEOUT_MILLIS, dir.resolve("broker.out"));
  }

  /** Stops the broker and epmd by their process ids and deletes the node's directory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopBroker();
    destroy(epmd.toHandle());
    deleteTree(dir);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway, and finds nothing left
    }
  }

  /** Last resort when the test JVM exits without closing: no graceful stop, just our pids. */
  private void killEverything() {
    Process p = broker;
    if (p != null) {
      p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    epmd.destroyForcibly();
  }

  private static void stop(Process wrapper) {
    // SIGTERM to the wrapper script makes it stop the VM gracefully; its children die with it
    List<ProcessHandle> family = new ArrayList<>(wrapper.toHandle().descendants().toList());
    wrapper.destroy();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
    for (ProcessHandle h : family) {
      awaitExit(h, deadline);
    }
    awaitExit(wrapper.toHandle(), deadline);
    for (ProcessHandle h : family) {
      h.destroyForcibly();
    }
    wrapper.destroyForcibly();
  }

  private static void destroy(ProcessHandle h) {
    h.destroy();
    awaitExit(h, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    h.destroyForcibly();
  }

  private static void awaitExit(ProcessHandle h, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      return;
    }
    try {
      h.onExit().get(left, TimeUnit.NANOSECONDS);
    } catch (Exception timedOutOrInterrupted) {
      // the caller kills it forcibly
    }
  }

  private static void awaitPort(int port, Process owner, long timeoutMillis, Path log)
      throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (System.nanoTime() - deadline < 0) {
      if (!owner.isAlive()) {
        throw new IllegalStateException("process exited with " + owner.exitValue()
            + " before listening on port " + port + "; its output:\n" + tail(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(HOST, port), 500);
        return;
      } catch (IOException notYet) {
        sleep(200);
      }
    }
    throw new IllegalStateException("nothing listening on port " + port + " after "
        + timeoutMillis + " ms; output so far:\n" + tail(log));
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  private static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  static void requireInstalled() {
    if (!Files.isExecutable(SERVER_SCRIPT) || findOnPathOrNull("epmd") == null) {
      throw new IllegalStateException("RabbitMQ is not installed, and the amqp transport's tests "
          + "need a real broker. Run ./run-tests.sh (it installs it), or install it yourself: "
          + "sudo apt-get install -y rabbitmq-server (Debian/Ubuntu). Expected "
          + SERVER_SCRIPT + " and epmd on the PATH.");
    }
  }

  private static String findOnPath(String name) {
    String found = findOnPathOrNull(name);
    if (found == null) {
      requireInstalled();
    }
    return found;
  }

  private static String findOnPathOrNull(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/usr/lib/erlang/bin";
    for (String d : path.split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return Path.of(d, name).toString();
      }
    }
    return null;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
