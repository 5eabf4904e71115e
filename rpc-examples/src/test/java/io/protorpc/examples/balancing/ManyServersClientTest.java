package io.protorpc.examples.balancing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.examples.CalculatorService;
import io.protorpc.examples.ChildJvm;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The many-servers example as a user runs it (its own JVM), against three Calculator servers on
 * 127.0.0.2, .3 and .4, the third saying NOT_SERVING: every call is answered, by the other two.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ManyServersClientTest {

  @Test
  void callsSpreadOverTheServingServersOnly() throws Exception {
    List<RpcServer> servers = new ArrayList<>();
    List<AtomicInteger> calls = new ArrayList<>();
    StringBuilder target = new StringBuilder("static:///");
    try {
      for (int i = 0; i < 3; i++) {
        AtomicInteger n = new AtomicInteger();
        ServerInterceptor counting = (controller, request, next, done) -> {
          if (controller.methodName().equals("Divide")) { // not the health checks
            n.incrementAndGet();
          }
          next.handle(controller, request, done);
        };
        RpcServer server = RpcServer.builder()
            .address(new InetSocketAddress("127.0.0." + (2 + i), 0)).addService(CalculatorRpc.bindService(new CalculatorService()))
            .intercept(counting).health().start();
        servers.add(server);
        calls.add(n);
        target.append(i == 0 ? "" : ",").append("127.0.0.").append(2 + i).append(':')
            .append(server.port());
      }
      servers.get(2).health().setStatus("protorpc.examples.calculator.Calculator",
          ServingStatus.NOT_SERVING);

      ChildJvm client = ChildJvm.start(ManyServersClient.class, target.toString());
      assertTrue(client.process().waitFor(60, TimeUnit.SECONDS), "the client's main returns");
      String out = client.restOfOutput();
      String err = client.stderr();
      assertEquals(0, client.process().exitValue(), () -> out + err);
      assertEquals(List.of("1 / 2 = 0.5", "2 / 2 = 1.0", "3 / 2 = 1.5", "4 / 2 = 2.0",
          "5 / 2 = 2.5", "6 / 2 = 3.0"), out.lines().toList(), () -> out + err);
      assertEquals("", err);
      assertEquals(0, calls.get(2).get(), "the NOT_SERVING server was called");
      assertEquals(6, calls.get(0).get() + calls.get(1).get());
    } finally {
      servers.forEach(RpcServer::close);
    }
  }
}
