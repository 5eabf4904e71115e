package io.protorpc.transport.inproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.ClientController;
import io.protorpc.InProcessAddress;
import io.protorpc.RpcClient;
import io.protorpc.RpcException;
import io.protorpc.RpcServer;
import io.protorpc.StatusCode;
import io.protorpc.health.Health;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import io.protorpc.testkit.TestServiceImpl;
import io.protorpc.testkit.proto.TestService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The health service end to end (over the in-process transport, which carries the same core as
 * the socket ones): statuses at start, flipped by the application, turned NOT_SERVING by
 * shutdown, unknown services refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthServiceTest {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final String TEST_SERVICE = TestService.getDescriptor().getFullName();

  private static InProcessAddress fresh() {
    return new InProcessAddress("health-" + NAMES.incrementAndGet());
  }

  private static ServingStatus check(RpcClient client, String service) throws Exception {
    return Health.check(client, new ClientController().setTimeout(Duration.ofSeconds(10)),
        service);
  }

  @Test
  void everyServiceAndTheServerStartServingAndTheApplicationFlipsThem() throws Exception {
    InProcessAddress name = fresh();
    try (RpcServer server = RpcServer.builder().address(name).health()
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().address(name).connect()) {
      assertEquals(ServingStatus.SERVING, check(client, Health.SERVER));
      assertEquals(ServingStatus.SERVING, check(client, TEST_SERVICE),
          "a service added after health() was not covered");

      server.health().setStatus(TEST_SERVICE, ServingStatus.NOT_SERVING);
      assertEquals(ServingStatus.NOT_SERVING, check(client, TEST_SERVICE));
      assertEquals(ServingStatus.SERVING, check(client, Health.SERVER), "only that service");
      server.health().setStatus(TEST_SERVICE, ServingStatus.SERVING);
      assertEquals(ServingStatus.SERVING, check(client, TEST_SERVICE));

      RpcException unknown = assertThrows(RpcException.class, () -> check(client, "no.Such"));
      assertEquals(StatusCode.NOT_FOUND, unknown.code());
      assertTrue(unknown.getMessage().contains("no.Such"), unknown.getMessage());
    }
  }

  @Test
  void shutdownTurnsEveryStatusNotServingForGood() throws Exception {
    InProcessAddress name = fresh();
    try (RpcServer server = RpcServer.builder().address(name).health()
            .addService(new TestServiceImpl().asService()).start()) {
      server.shutdown();
      assertEquals(ServingStatus.NOT_SERVING, server.health().status(Health.SERVER));
      assertEquals(ServingStatus.NOT_SERVING, server.health().status(TEST_SERVICE));
      server.health().setStatus(TEST_SERVICE, ServingStatus.SERVING);
      assertEquals(ServingStatus.NOT_SERVING, server.health().status(TEST_SERVICE),
          "a server going away turned SERVING again");
    }
  }

  @Test
  void withoutHealthThereIsNoServiceAndTheServerSaysHowToEnableIt() throws Exception {
    InProcessAddress name = fresh();
    try (RpcServer server = RpcServer.builder().address(name)
            .addService(new TestServiceImpl().asService()).start();
        RpcClient client = RpcClient.builder().address(name).connect()) {
      IllegalStateException off = assertThrows(IllegalStateException.class, server::health);
      assertTrue(off.getMessage().contains("RpcServer.Builder.health()"), off.getMessage());
      RpcException e = assertThrows(RpcException.class, () -> check(client, Health.SERVER));
      assertEquals(StatusCode.UNIMPLEMENTED, e.code(), "a service the server does not serve");
    }
  }

  @Test
  void onlyServingAndNotServingMayBeSet() {
    Health health = new Health();
    assertThrows(IllegalArgumentException.class,
        () -> health.setStatus(TEST_SERVICE, ServingStatus.UNKNOWN));
    assertEquals(ServingStatus.SERVICE_UNKNOWN, health.status(TEST_SERVICE));
  }
}
