package io.protorpc.examples;

import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.ServiceException;
import io.protorpc.Metadata;
import io.protorpc.PluginNotFoundException;
import io.protorpc.PluginRegistry;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.ServerController;
import io.protorpc.ServerInterceptor;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.echo.EchoService;
import io.protorpc.examples.game.GameRpc;
import io.protorpc.examples.recommend.RecommendRpc;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Plugin;
import io.protorpc.spi.Transport;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The demo README's first command runs. Three ways to run it:
 *
 * <pre>
 * Demo [--calls N]
 *     starts a server per installed transport and, for every installed framing and compressor,
 *     a client that calls the four example services; prints a table of the outcome
 * Demo server --port N [--transport T] [--bind ADDRESS]
 *     serves the four example services and server reflection until killed (port 0: any free
 *     port, printed); echoes each call's request metadata as its response metadata, and waits
 *     before answering when asked to with a {@code delay-ms} entry
 * Demo client --port N [--host H] [--transport T] [--framing F] [--compressor C] [--calls N]
 *     calls a running demo server with one configuration and prints its row of the table
 * </pre>
 *
 * <p>The table has, per configuration (transport / framing / compressor): the calls made and how
 * many got the right answer, the echo latency's 50th and 99th percentiles, and the bytes on the
 * wire per call, counted by a {@link ByteCountingTransport} around the client's transport (sent
 * plus received, handshake excluded). What each configuration does is in {@link Workload}.
 *
 * <p>The plugins are whatever is on the module path: protorpc's own that are absent are named
 * with the artifact to add; names given on the command line that are not installed end the demo
 * with the registry's message, not a stack trace. Exit status: 0 when every call succeeded, 1 when
 * some did not or the server could not be reached, 2 for a bad command line.
 */
public final class Demo {
  static final int DEFAULT_CALLS = 500;

  static final String USAGE = String.join(System.lineSeparator(),
      "usage: Demo [--calls N]",
      "       Demo server --port N [--transport T] [--bind ADDRESS]",
      "       Demo client --port N [--host H] [--transport T] [--framing F] [--compressor C]"
          + " [--calls N]");

  /** protorpc's own optional plugins, and the artifact each comes in. */
  private record Known(Class<? extends Plugin> kind, String name, String artifact) {}

  private static final List<Known> KNOWN = List.of(
      new Known(Transport.class, "netty", "io.protorpc:rpc-transport-netty"),
      new Known(Compressor.class, "zstd", "io.protorpc:rpc-codec-compress"),
      new Known(Compressor.class, "gzip", "io.protorpc:rpc-codec-compress"),
      new Known(Framing.class, "varint", "io.protorpc:rpc-examples-plugin"));

  private Demo() {}

  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  /**
   * Runs the demo as {@link #main} does and returns the exit status instead of exiting. In
   * {@code server} mode it returns only when the thread is interrupted.
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    try {
      Options options = Options.parse(args);
      switch (options.command) {
        case "server":
          serveUntilInterrupted(options, out);
          return 0;
        case "client":
          return client(options, out) ? 0 : 1;
        case "help":
          out.println(USAGE);
          return 0;
        default:
          return inProcess(options.calls, out).stream().allMatch(Workload.Result::allSucceeded)
              ? 0 : 1;
      }
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (PluginNotFoundException e) {
      err.println("error: " + e.getMessage());
      return 2;
    } catch (IOException | ServiceException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  // ---------------------------------------------------------------------- the in-process demo

  /**
   * The default mode: every installed transport × framing × compressor against a server in this
   * process. Prints the installed modules, a tour of the services and the table; returns the rows.
   */
  static List<Workload.Result> inProcess(int calls, PrintStream out)
      throws IOException, ServiceException, InterruptedException {
    Workload workload = new Workload(calls);
    out.println("protorpc demo on Java " + Runtime.version());
    out.println(workload.describe());
    out.println();
    printModules(out);

    List<Workload.Result> rows = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    boolean toured = false;
    for (Transport transport : available(Transport.class)) {
      RpcServer server;
      try {
        server = serving(RpcServer.builder().transport(transport)).start();
      } catch (IOException | RuntimeException e) {
        problems.add(transport.name() + ": cannot start a server: " + e.getMessage());
        continue;
      }
      try (server) {
        for (Framing framing : available(Framing.class)) {
          for (Compressor compressor : available(Compressor.class)) {
            ByteCountingTransport counter = new ByteCountingTransport(transport);
            try (RpcClient client = RpcClient.builder().address(server.localAddress())
                .transport(counter).framing(framing).compressor(compressor).connect()) {
              if (!toured) {
                Workload.showServices(client, out);
                toured = true;
              }
              rows.add(workload.run(client, counter));
            } catch (IOException e) {
              String config = transport.name() + " / " + framing.name() + " / "
                  + compressor.name();
              problems.add(config + ": " + e.getMessage());
              rows.add(new Workload.Result(config, calls, 0, Double.NaN, Double.NaN, 0));
            }
          }
        }
      }
    }
    printTable(rows, out);
    problems.forEach(p -> out.println("problem: " + p));
    printVerdict(rows, out);
    return rows;
  }

  private static void printModules(PrintStream out) {
    List<Class<? extends Plugin>> kinds =
        List.of(Transport.class, Framing.class, Compressor.class, Codec.class);
    for (Class<? extends Plugin> kind : kinds) {
      out.println(kind.getSimpleName().toLowerCase(Locale.ROOT) + "s installed: "
          + String.join(", ", PluginRegistry.names(kind)));
    }
    for (Known k : KNOWN) {
      if (!PluginRegistry.names(k.kind()).contains(k.name())) {
        out.println(k.name() + ": not installed - add " + k.artifact());
      }
    }
    // Installed but unable to work here (a native library that did not load, say): left out of
    // the table, so say why.
    for (Class<? extends Plugin> kind : kinds) {
      for (Plugin p : PluginRegistry.all(kind)) {
        p.unavailableReason().ifPresent(why ->
            out.println(p.name() + ": installed but unavailable: " + why));
      }
    }
    out.println();
  }

  /** The available providers of {@code kind}, one per name, in name order. */
  private static <T extends Plugin> List<T> available(Class<T> kind) {
    return PluginRegistry.names(kind).stream()
        .map(n -> PluginRegistry.lookup(kind, n))
        .flatMap(Optional::stream)
        .toList();
  }

  private static void printTable(List<Workload.Result> rows, PrintStream out) {
    out.printf("%-34s %6s %9s %9s %9s %10s%n", "configuration", "calls", "succeeded", "p50 us",
        "p99 us", "bytes/call");
    for (Workload.Result r : rows) {
      out.printf(Locale.ROOT, "%-34s %6d %9d %9.1f %9.1f %10d%n", r.configuration(), r.calls(),
          r.succeeded(), r.p50Micros(), r.p99Micros(), r.bytesPerCall());
    }
    out.println();
  }

  private static void printVerdict(List<Workload.Result> rows, PrintStream out) {
    boolean allOk = !rows.isEmpty() && rows.stream().allMatch(Workload.Result::allSucceeded);
    out.println(allOk ? "all calls succeeded" : "SOME CALLS FAILED");
  }

  // ---------------------------------------------------------------------- two processes

  /** A server builder with the four example services added. */
  static RpcServer.Builder serving(RpcServer.Builder builder) {
    return builder
        .addService(CalculatorRpc.bindService(new CalculatorService()))
        .addService(GameRpc.bindService(new GameService()))
        .addService(RecommendRpc.bindService(new RecommendService()))
        .addService(EchoService.newReflectiveBlockingService(new EchoServiceImpl()));
  }

  /**
   * Starts the {@code server} mode's server and says where it listens and what it accepts. It
   * serves reflection and health checks too, so the {@code protorpc} command line can call and
   * probe it, and answers every
   * call with the request's metadata as its response metadata, so a caller sees what arrived
   * ({@link #echoMetadata}).
   */
  static RpcServer startServer(Options options, PrintStream out) throws IOException {
    RpcServer.Builder builder = serving(RpcServer.builder())
        .reflection()
        .health()
        .intercept(Demo::echoMetadata)
        .address(new InetSocketAddress(options.bind, options.port));
    if (options.transport != null) {
      builder.transport(options.transport);
    }
    RpcServer server = builder.start();
    out.println("protorpc demo server listening on "
        + ((InetSocketAddress) server.localAddress()).getAddress().getHostAddress() + ":" + server.port());
    // In name order, as the in-process demo's table and the registry's messages list them.
    out.println("framings: " + String.join(", ", new TreeSet<>(server.framingNames()))
        + "; compressors: " + String.join(", ", new TreeSet<>(server.compressorNames())));
    out.println("services: Calculator, Game, Recommend, EchoService, and server reflection"
        + " (try: ./protorpc list 127.0.0.1:" + server.port() + "). Stop it with Ctrl-C.");
    out.flush();
    return server;
  }

  /** Longest wait a {@code delay-ms} metadata entry asks the server mode for. */
  static final long MAX_DELAY_MILLIS = 10_000;

  /**
   * The server mode's interceptor: copies the request's metadata into the response's, and waits
   * {@code delay-ms} milliseconds (at most {@link #MAX_DELAY_MILLIS}) first when the request's
   * metadata has that entry, so that a client can watch its deadline pass.
   */
  private static void echoMetadata(ServerController controller, Message request,
      ServerInterceptor.Next next, RpcCallback<Message> done) {
    Metadata in = controller.requestMetadata();
    for (String key : in.keys()) {
      controller.responseMetadata().putBytes(key, in.getBytes(key));
    }
    String delay = in.get("delay-ms");
    if (delay != null) {
      try {
        Thread.sleep(Math.min(Math.max(0, Long.parseLong(delay)), MAX_DELAY_MILLIS));
      } catch (NumberFormatException e) {
        controller.setFailed(Status.of(StatusCode.INVALID_ARGUMENT,
            "delay-ms wants a whole number of milliseconds, not '" + delay + "'"));
        done.run(null);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    next.handle(controller, request, done);
  }

  /** Serves until Ctrl-C or SIGTERM (the shutdown hook closes the server) or an interrupt. */
  private static void serveUntilInterrupted(Options options, PrintStream out)
      throws IOException, InterruptedException {
    RpcServer server = startServer(options, out);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      out.println("protorpc demo server stopped");
      out.flush();
    }, "demo-server-shutdown"));
    try {
      server.awaitTermination();
    } finally {
      server.close();
    }
  }

  /** The {@code client} mode: one configuration against a running server. */
  private static boolean client(Options options, PrintStream out)
      throws IOException, ServiceException, InterruptedException {
    Workload workload = new Workload(options.calls);
    // Names are looked up before connecting, so a name that is not installed fails first.
    Transport transport = options.transport == null
        ? PluginRegistry.defaultFor(Transport.class)
        : PluginRegistry.find(Transport.class, options.transport);
    Framing framing = PluginRegistry.find(Framing.class, options.framing);
    Compressor compressor = PluginRegistry.find(Compressor.class, options.compressor);
    ByteCountingTransport counter = new ByteCountingTransport(transport);
    RpcClient client;
    try {
      client = RpcClient.builder().address(options.host, options.port).transport(counter)
          .framing(framing).compressor(compressor).connect();
    } catch (IOException e) {
      throw new IOException("cannot connect to " + options.host + ":" + options.port + ": "
          + e.getMessage(), e);
    }
    try (client) {
      out.println("protorpc demo client on Java " + Runtime.version() + ", calling "
          + options.host + ":" + options.port);
      out.println(workload.describe());
      out.println();
      Workload.showServices(client, out);
      List<Workload.Result> rows = List.of(workload.run(client, counter));
      printTable(rows, out);
      printVerdict(rows, out);
      return rows.get(0).allSucceeded();
    }
  }

  // ---------------------------------------------------------------------- the command line

  /** A command line that cannot be run; its message says why. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** The parsed command line. */
  static final class Options {
    private static final Map<String, Set<String>> FLAGS = Map.of(
        "demo", Set.of("--calls"),
        "server", Set.of("--port", "--transport", "--bind"),
        "client", Set.of("--port", "--host", "--transport", "--framing", "--compressor",
            "--calls"));

    String command = "demo";
    int calls = DEFAULT_CALLS;
    int port = -1;
    String host = "127.0.0.1";
    String bind = InetAddress.getLoopbackAddress().getHostAddress();
    String transport;
    String framing = "length";
    String compressor = "identity";

    static Options parse(String[] args) throws UsageException {
      Options o = new Options();
      int i = 0;
      if (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")
          || args[0].equals("help"))) {
        o.command = "help";
        return o;
      }
      if (args.length > 0 && !args[0].startsWith("-")) {
        o.command = args[0];
        if (!FLAGS.containsKey(o.command) || o.command.equals("demo")) {
          throw new UsageException("unknown command '" + args[0] + "'");
        }
        i = 1;
      }
      Map<String, String> values = new HashMap<>();
      for (; i < args.length; i += 2) {
        String flag = args[i];
        if (!FLAGS.get(o.command).contains(flag)) {
          throw new UsageException("unknown option '" + flag + "'"
              + (o.command.equals("demo") ? "" : " for " + o.command));
        }
        if (i + 1 >= args.length) {
          throw new UsageException(flag + " needs a value");
        }
        values.put(flag, args[i + 1]);
      }
      o.calls = intValue(values, "--calls", DEFAULT_CALLS, Workload.MIN_CALLS);
      o.port = intValue(values, "--port", -1, 0);
      if (!o.command.equals("demo") && o.port < 0) {
        throw new UsageException(o.command + " needs --port");
      }
      if (o.command.equals("client") && o.port == 0) {
        throw new UsageException("client needs the server's port, not 0");
      }
      o.host = values.getOrDefault("--host", o.host);
      o.bind = values.getOrDefault("--bind", o.bind);
      o.transport = values.get("--transport");
      o.framing = values.getOrDefault("--framing", o.framing);
      o.compressor = values.getOrDefault("--compressor", o.compressor);
      return o;
    }

    private static int intValue(Map<String, String> values, String flag, int otherwise, int min)
        throws UsageException {
      String v = values.get(flag);
      if (v == null) {
        return otherwise;
      }
      try {
        int n = Integer.parseInt(v);
        if (n < min || (flag.equals("--port") && n > 65_535)) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new UsageException(flag + " wants " + (flag.equals("--port") ? "a port number"
            : "a whole number of at least " + min) + ", not '" + v + "'");
      }
    }
  }
}
