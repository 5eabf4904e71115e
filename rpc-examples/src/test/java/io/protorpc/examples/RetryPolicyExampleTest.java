package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.protorpc.RetryPolicy;
import io.protorpc.RpcClient;
import io.protorpc.RpcServer;
import io.protorpc.ServerInterceptor;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.examples.calculator.CalculatorRpc;
import io.protorpc.examples.calculator.DivideRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * docs/call-semantics.md's retry policy, run as written there: a server that fails the first
 * attempt of a call with {@code UNAVAILABLE}, and a client whose policy makes the call again.
 */
class RetryPolicyExampleTest {

  @Test
  void theDocumentedPolicyMakesAFailedCallAgain() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    ServerInterceptor failTheFirstAttempt = (controller, request, next, done) -> {
      if (attempts.incrementAndGet() == 1) {
        controller.setFailed(Status.of(StatusCode.UNAVAILABLE, "warming up"));
        done.run(null);
        return;
      }
      next.handle(controller, request, done);
    };
    try (RpcServer server =
        Demo.serving(RpcServer.builder()).intercept(failTheFirstAttempt).start()) {
      RetryPolicy policy = RetryPolicy.builder()
          .maxAttempts(3) // the first attempt and up to two retries
          .initialBackoff(Duration.ofMillis(100))
          .maxBackoff(Duration.ofSeconds(1))
          .backoffMultiplier(2)
          .retryOn(StatusCode.UNAVAILABLE)
          .build();
      RpcClient client = RpcClient.builder()
          .address(server.localAddress())
          .retryPolicy(CalculatorRpc.SERVICE_NAME, policy) // or a method: SERVICE_NAME + ".Divide"
          .defaultTimeout(Duration.ofSeconds(10)) // retries stay within each call's deadline
          .connect();
      try (client) {
        CalculatorRpc.BlockingStub calc = CalculatorRpc.newBlockingStub(client);
        assertEquals(2.5f, calc.divide(
            DivideRequest.newBuilder().setNum1(10).setNum2(4).build()).getResult());
      }
      assertEquals(2, attempts.get(), "the server saw the failed attempt and the retry");
    }
  }
}
