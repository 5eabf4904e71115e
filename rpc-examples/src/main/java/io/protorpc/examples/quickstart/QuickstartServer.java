package io.protorpc.examples.quickstart;

import io.protorpc.RpcServer;
import io.protorpc.examples.CalculatorService;
import io.protorpc.examples.calculator.CalculatorRpc;
import java.time.Duration;

/**
 * README's quickstart, step 2: serves the Calculator until Ctrl-C or SIGTERM, then stops
 * gracefully. README shows the body of {@link #main} verbatim (ReadmeSnippetsTest checks it).
 *
 * <pre>
 * QuickstartServer [PORT]    default 9090; 0 picks a free port (printed)
 * </pre>
 */
public final class QuickstartServer {
  private QuickstartServer() {}

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 9090;

    RpcServer server = RpcServer.builder()
        .port(port)                          // loopback; .address(...) for another interface
        .addService(CalculatorRpc.bindService(new CalculatorService()))
        .start();
    System.out.println("listening on 127.0.0.1:" + server.port() + "; stop with Ctrl-C");

    // Ctrl-C or SIGTERM: calls in flight get 5 seconds to finish, then the rest are cancelled.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      try {
        if (!server.awaitTermination(Duration.ofSeconds(5))) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
      }
      System.out.println("server stopped");
    }));
    // The transport's threads are daemons: main must wait, or the JVM exits at once.
    server.awaitTermination();
  }
}
