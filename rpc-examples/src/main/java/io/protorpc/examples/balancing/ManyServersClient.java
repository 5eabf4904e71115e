package io.protorpc.examples.balancing;

import io.protorpc.RpcClient;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import java.time.Duration;

/**
 * A client of several Calculator servers behind one target: calls spread over the servers by
 * the load balancer, and a server whose health service says {@code NOT_SERVING} is skipped.
 * README and docs/load-balancing.md show the body of {@link #main} verbatim (ReadmeSnippetsTest
 * checks it; ManyServersClientTest runs it against three servers).
 *
 * <pre>
 * ManyServersClient TARGET    e.g. static:///127.0.0.1:9090,127.0.0.1:9091 or dns:///calc:9090
 * </pre>
 */
public final class ManyServersClient {
  private ManyServersClient() {}

  public static void main(String[] args) throws Exception {
    String target = args[0];

    try (RpcClient client = RpcClient.builder()
        .target(target)                  // dns:///host:port, static:///h1:p1,h2:p2, host:port
        .loadBalancer("round_robin")     // the default; or "pick_first", "least_request"
        .healthCheck("protorpc.examples.calculator.Calculator") // servers built with health()
        .defaultTimeout(Duration.ofSeconds(5))
        .connect()) {                    // returns once one server is connected
      CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client);
      for (int i = 1; i <= 6; i++) {
        DivideRequest r = DivideRequest.newBuilder().setNum1(i).setNum2(2).build();
        System.out.println(i + " / 2 = " + calc.divide(r).getResult());
      }
    }
  }
}
