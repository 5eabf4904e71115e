package io.protorpc.examples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.examples.ChildJvm;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's quickstart as a user runs it: the server and the client are separate JVMs started from
 * their {@code main}s, on the module path as the demo is.
 */
class QuickstartTest {
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+);");

  @Test
  void serverKeepsServingUntilSigtermAndTheClientsCallsAllComplete() throws Exception {
    ChildJvm server = ChildJvm.start(QuickstartServer.class, "0");
    try {
      String first = server.readLine(60);
      Matcher m = LISTENING.matcher(String.valueOf(first));
      assertTrue(m.find(), () -> "first line: " + first);

      ChildJvm client = ChildJvm.start(QuickstartClient.class, m.group(1));
      assertTrue(client.process().waitFor(60, TimeUnit.SECONDS), "the client's main returns");
      String out = client.restOfOutput();
      String err = client.stderr();
      assertEquals(0, client.process().exitValue(), () -> out + err);
      assertEquals(List.of(
          "10 / 4 = 2.5",
          "1 / 0 failed: INVALID_ARGUMENT, cannot divide 1.0 by zero",
          "async 10 / 4 = 2.5"), out.lines().toList(), () -> out + err);
      assertEquals("", err);

      assertTrue(server.process().isAlive(), "the server's main keeps it serving");
      assertTrue(server.terminate(30), "the server stops on SIGTERM");
      assertEquals("server stopped\n", server.restOfOutput());
      assertEquals(143, server.process().exitValue(), "128 + SIGTERM, as for any JVM it ends");
      assertEquals("", server.stderr());
    } finally {
      server.kill();
    }
  }
}
