package io.protorpc.benchmarks;

import io.protorpc.RpcServer;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What one idle connection costs a server: starts a server in a JVM of its own (the same java,
 * {@code -Xmx256m}, no services), opens N connections to it that send nothing and N that send a
 * valid preface, and prints the server's live heap (after full collections), threads and
 * resident set per connection for each kind:
 *
 * <pre>
 * java -cp rpc-benchmarks/target/benchmarks.jar io.protorpc.benchmarks.ConnectionCost [N]
 * </pre>
 *
 * <p>N defaults to 2,000. Run it with the JDK to measure (JDK 17: the socket transport's readers
 * are platform threads; 21+: virtual threads). A memory figure, not a speed: one run suffices.
 */
public final class ConnectionCost {
  private ConnectionCost() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("server")) {
      serve(args[1]);
      return;
    }
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    System.out.println("java " + System.getProperty("java.version") + ", " + n
        + " connections of each kind, server -Xmx256m");
    System.out.println("| transport | connection | live heap (bytes) | threads | resident (KiB) |");
    System.out.println("|---|---|---:|---:|---:|");
    for (String transport : new String[] {"socket", "netty"}) {
      measure(transport, n);
    }
  }

  private static void measure(String transport, int n) throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator
        + "java";
    Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ConnectionCost.class.getName(), "server", transport)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
            StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
          Integer.parseInt(out.readLine()));
      byte[] preface = preface();
      long[] before = stats(in, out, 0);
      for (String kind : new String[] {"silent", "after a preface"}) {
        List<Socket> open = new ArrayList<>();
        try {
          for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            open.add(s);
            s.connect(address, 10_000);
            if (kind.equals("after a preface")) {
              s.getOutputStream().write(preface);
            }
          }
          long[] with = stats(in, out, n);
          System.out.printf("| %s | %s | %,d | %.2f | %.1f |%n", transport, kind,
              (with[0] - before[0]) / n, (double) (with[1] - before[1]) / n,
              (double) (with[2] - before[2]) / n);
        } finally {
          for (Socket s : open) {
            s.close();
          }
        }
        stats(in, out, 0); // wait until they are gone
      }
      in.write("exit\n");
      in.flush();
    } finally {
      p.waitFor();
    }
  }

  /** Asks the server to wait until it holds {@code connections}, then for its figures. */
  private static long[] stats(Writer in, BufferedReader out, int connections) throws Exception {
    in.write(connections + "\n");
    in.flush();
    String[] f = out.readLine().split(" ");
    return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
  }

  private static byte[] preface() {
    byte[] body = "framing=length\ncodec=protobuf\ncompressors=identity\n"
        .getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[7 + body.length];
    p[0] = 'P';
    p[1] = 'R';
    p[2] = 'P';
    p[3] = 'C';
    p[4] = 1;
    p[5] = (byte) (body.length >> 8);
    p[6] = (byte) body.length;
    System.arraycopy(body, 0, p, 7, body.length);
    return p;
  }

  /**
   * The forked server: prints its port, then for each number read waits (up to 60 s) until it
   * has that many connections and prints live heap, threads and resident KiB.
   */
  private static void serve(String transport) throws Exception {
    // no timeouts: the connections must stay while they are measured
    RpcServer server = RpcServer.builder().transport(transport).maxConnections(100_000)
        .handshakeTimeout(Duration.ZERO).idleTimeout(Duration.ZERO).start();
    System.out.println(server.port());
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("exit")) {
      int want = Integer.parseInt(line.trim());
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (server.connectionCount() != want && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(500); // let the last readers settle into their wait
      long live = Long.MAX_VALUE;
      for (int i = 0; i < 3; i++) {
        System.gc();
        live = Math.min(live, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
      }
      System.out.println(live + " " + Thread.activeCount() + " " + residentKib());
    }
    server.close();
  }

  private static long residentKib() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
