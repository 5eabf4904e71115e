package io.protorpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The retry policy's settings and the client builder's checks of them, before any call. */
class RetryPolicyTest {

  @Test
  void defaultsAndSettingsAreKept() {
    RetryPolicy d = RetryPolicy.builder().build();
    assertEquals(3, d.maxAttempts());
    assertEquals(Duration.ofMillis(100), d.initialBackoff());
    assertEquals(Duration.ofSeconds(1), d.maxBackoff());
    assertEquals(2.0, d.backoffMultiplier());
    assertEquals(Set.of(StatusCode.UNAVAILABLE), d.retryableCodes());

    RetryPolicy p = RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(50)).backoffMultiplier(3)
        .retryOn(StatusCode.RESOURCE_EXHAUSTED, StatusCode.ABORTED).build();
    assertEquals(Set.of(StatusCode.RESOURCE_EXHAUSTED, StatusCode.ABORTED), p.retryableCodes());
    assertThrows(UnsupportedOperationException.class,
        () -> p.retryableCodes().add(StatusCode.INTERNAL), "a policy must be immutable");
    assertEquals(p, RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(50)).backoffMultiplier(3)
        .retryOn(StatusCode.ABORTED, StatusCode.RESOURCE_EXHAUSTED).build());
  }

  @Test
  void theBackoffBoundGrowsByTheMultiplierUpToTheMax() {
    RetryPolicy p = RetryPolicy.builder().initialBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(50)).backoffMultiplier(3).build();
    assertEquals(Duration.ofMillis(10), p.backoffBefore(1));
    assertEquals(Duration.ofMillis(30), p.backoffBefore(2));
    assertEquals(Duration.ofMillis(50), p.backoffBefore(3));
    assertEquals(Duration.ofMillis(50), p.backoffBefore(60));
  }

  @Test
  void settingsOutsideTheirBoundsAreRefusedWithTheReason() {
    assertMessage("maxAttempts must be 2 to 5", () -> RetryPolicy.builder().maxAttempts(1).build());
    assertMessage("maxAttempts must be 2 to 5", () -> RetryPolicy.builder().maxAttempts(6).build());
    assertMessage("initialBackoff must be positive",
        () -> RetryPolicy.builder().initialBackoff(Duration.ZERO).build());
    assertMessage("must be at least initialBackoff", () -> RetryPolicy.builder()
        .initialBackoff(Duration.ofSeconds(2)).maxBackoff(Duration.ofSeconds(1)).build());
    assertMessage("backoffMultiplier must be 1 to 100",
        () -> RetryPolicy.builder().backoffMultiplier(0.5).build());
    assertMessage("backoffMultiplier must be 1 to 100",
        () -> RetryPolicy.builder().backoffMultiplier(Double.NaN).build());
    assertMessage("OK is a success", () -> RetryPolicy.builder().retryOn(StatusCode.OK));
    assertMessage("at least one status code", () -> RetryPolicy.builder().retryOn());
  }

  @Test
  void theClientBuilderChecksNamesThrottleAndTarget() {
    RetryPolicy p = RetryPolicy.builder().build();
    assertMessage("full name of a service", () -> RpcClient.builder().retryPolicy("a..b", p));
    assertMessage("full name of a service",
        () -> RpcClient.builder().retryPolicy("pkg.Service/Method", p));
    RpcClient.builder().retryPolicy("pkg.Service", p).retryPolicy("pkg.Service.Method", p);
    assertMessage("maxTokens must be 1 to 1000", () -> RpcClient.builder().retryThrottle(0, 0.1));
    assertMessage("tokenRatio must be 0.001 to 1", () -> RpcClient.builder().retryThrottle(10, 2));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> RpcClient.builder()
        .target("amqp://127.0.0.1:1/?topic=t").retryPolicy("pkg.Service", p).connect());
    assertTrue(e.getMessage().contains("through a broker a call is redelivered"), e.getMessage());
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(x.getMessage().contains(part), x.getMessage());
  }
}
