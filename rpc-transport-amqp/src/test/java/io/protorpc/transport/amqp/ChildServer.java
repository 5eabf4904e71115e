package io.protorpc.transport.amqp;

import io.protorpc.RpcServer;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.DelayRequest;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A server in a process of its own, for tests that kill one (SIGKILL, by its pid): it serves
 * {@code TestService} on the target given as its argument, prints {@code ready} once consuming,
 * and {@code start TEXT} as each {@code Delay} call starts.
 */
final class ChildServer {
  private ChildServer() {}

  public static void main(String[] args) throws Exception {
    RpcServer server = RpcServer.builder().target(args[0])
        .maxCallsInFlight(Integer.parseInt(args[1]))
        .addService(new TestServiceImpl().asBlockingService())
        .intercept((controller, request, next, done) -> {
          if (request instanceof DelayRequest d) {
            System.out.println("start " + d.getText());
          }
          next.handle(controller, request, done);
        })
        .start();
    System.out.println("ready");
    Thread.sleep(120_000); // a bound, in case nobody kills it
    server.close();
  }

  /** Starts one; its stdout is the returned process's input stream. */
  static Process start(String target, int maxCallsInFlight) throws IOException {
    Set<String> path = new LinkedHashSet<>();
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      String value = System.getProperty(property, "");
      for (String entry : value.split(File.pathSeparator)) {
        if (!entry.isEmpty()) {
          path.add(entry);
        }
      }
    }
    try {
      // the test classes themselves, patched into the module under surefire
      path.add(Path.of(ChildServer.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).toString());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", String.join(File.pathSeparator, path),
        ChildServer.class.getName(), target, Integer.toString(maxCallsInFlight)));
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
  }
}
