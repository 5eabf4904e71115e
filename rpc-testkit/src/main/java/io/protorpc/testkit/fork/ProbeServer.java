package io.protorpc.testkit.fork;

import io.protorpc.RpcServer;
import io.protorpc.testkit.TestServiceImpl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;

/**
 * The server that RobustnessSuite's probes attack, run in a JVM of its own with a capped heap:
 * serves the test service with every setting at its default over the transport named by the
 * first argument, prints {@code port N}, then answers commands read from standard input, one a
 * line: {@code stats} prints {@code stats <live heap bytes> <threads> <connections> <calls>
 * <memory budget in use>} (the heap after full collections), {@code exit} stops the server and the
 * JVM. The end of standard input (the test JVM went away) stops it too. Not an API.
 */
public final class ProbeServer {
  private ProbeServer() {}

  public static void main(String[] args) throws Exception {
    RpcServer server = RpcServer.builder().transport(args[0])
        .addService(new TestServiceImpl().asService()).start();
    System.out.println("port " + server.port());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in,
        StandardCharsets.UTF_8));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    String line;
    while ((line = in.readLine()) != null && !line.equals("exit")) {
      if (line.equals("stats")) {
        long live = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
          System.gc();
          live = Math.min(live, memory.getHeapMemoryUsage().getUsed());
        }
        System.out.println("stats " + live + " " + Thread.activeCount() + " "
            + server.connectionCount() + " " + server.callsInFlight() + " "
            + server.memoryInUse());
        System.out.flush();
      }
    }
    server.close();
    System.exit(0);
  }
}
