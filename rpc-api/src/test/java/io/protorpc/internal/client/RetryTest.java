package io.protorpc.internal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.Metadata;
import io.protorpc.RetryPolicy;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Retry policies at work on one call state machine, driven like {@link ClientCoreTest}: a fake
 * clock, fake connections playing the server, connection attempts run by hand. The jitter is
 * fixed at one half, so every backoff is exactly half its bound.
 */
class RetryTest {
  private static final long MS = 1_000_000L;
  /** 3 attempts; bounds 100, 200, 300 ms: waits of 50, 100, 150 ms at a jitter of 0.5. */
  private static final RetryPolicy THREE_ATTEMPTS = RetryPolicy.builder()
      .maxAttempts(3)
      .initialBackoff(Duration.ofMillis(100))
      .backoffMultiplier(2)
      .maxBackoff(Duration.ofMillis(300))
      .retryOn(StatusCode.UNAVAILABLE, StatusCode.RESOURCE_EXHAUSTED)
      .build();
  private static final Status UNAVAILABLE = Status.of(StatusCode.UNAVAILABLE, "restarting");

  private final FakeClock clock = new FakeClock();
  private final ManualExecutor connects = new ManualExecutor();
  private final List<FakeConnection> connections = new ArrayList<>();
  /** New connections queue requests without writing them. */
  private boolean holdWrites;
  private final Subchannel subchannel = new Subchannel(new InetSocketAddress("127.0.0.1", 9090),
      (address, attempt, listener) -> {
        FakeConnection c = new FakeConnection(listener);
        c.holdWrites = holdWrites;
        connections.add(c);
        return c;
      }, connects, clock, failures -> 100 * MS, 1000 * MS);
  private RetryThrottle throttle = new RetryThrottle(10, 0.1);
  private Retrier retrier = retrier(Map.of("test.Service", THREE_ATTEMPTS));

  private Retrier retrier(Map<String, RetryPolicy> policies) {
    return new Retrier(policies, throttle, clock, () -> 0.5);
  }

  /** Records every completion of one call. */
  private static final class Outcomes implements ClientCall.Listener {
    final List<Status> statuses = new ArrayList<>();

    @Override
    public void onComplete(Status status, Envelope response) {
      statuses.add(status);
    }

    Status only() {
      assertEquals(1, statuses.size(), () -> "completions: " + statuses);
      return statuses.get(0);
    }
  }

  /** A call of test.Service.Echo under the retrier's policy for it, started on the subchannel. */
  private ClientCall start(Outcomes out, long timeoutMillis) {
    Metadata metadata = Metadata.empty().copy();
    metadata.put("idempotency-key", "k1");
    ClientCall call = new ClientCall("test.Service", "Echo", metadata,
        ByteBuffer.wrap(new byte[] {1, 2, 3}), "", 3, false, false, timeoutMillis * MS, clock,
        out);
    call.retryUnder(retrier, retrier.policyFor("test.Service.Echo", "test.Service"));
    call.start(subchannel);
    connects.runAll();
    return call;
  }

  private FakeConnection last() {
    return connections.get(connections.size() - 1);
  }

  /** The server answers the call's current attempt. */
  private static void answer(FakeConnection c, ClientCall call, Status status) {
    c.respond(call.streamId(), status, 0);
  }

  // ------------------------------------------------------------------ when a call is retried

  @Test
  void aRetryableFailureIsTriedAgainAfterItsBackoffWithTheSameRequest() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 1000);
    FakeConnection c = last();
    answer(c, call, UNAVAILABLE);
    assertEquals(List.of(), out.statuses, "a retryable failure completed the call");
    assertEquals(1, retrier.callsWaiting());

    clock.advanceMillis(49);
    assertEquals(List.of("REQUEST 1"), c.wire, "retried before the backoff ended");
    clock.advanceMillis(1);
    assertEquals(List.of("REQUEST 1", "REQUEST 2"), c.wire);
    assertEquals(0, retrier.callsWaiting());
    assertSame(call, c.calls.get(2L));
    assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), call.payload(), "payload changed");
    assertEquals("k1", call.metadata().get("idempotency-key"));
    assertEquals(950_000, call.timeoutMicrosLeft(), "the attempt carries the time left");

    answer(c, call, Status.OK);
    assertEquals(StatusCode.OK, out.only().code());
    assertEquals(0, clock.pendingTimers(), "a timer outlived the call");
  }

  @Test
  void otherCodesAreNotRetried() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 1000);
    answer(last(), call, Status.of(StatusCode.INVALID_ARGUMENT, "bad"));
    assertEquals(StatusCode.INVALID_ARGUMENT, out.only().code());
    assertEquals(0, clock.pendingTimers());
    clock.advanceMillis(1000);
    assertEquals(List.of("REQUEST 1"), last().wire);
  }

  @Test
  void callsWithoutAPolicyAreNotRetried() {
    retrier = retrier(Map.of("other.Service", THREE_ATTEMPTS));
    Outcomes out = new Outcomes();
    ClientCall call = new ClientCall("test.Service", "Echo", Metadata.empty(),
        ByteBuffer.allocate(3), "", 3, false, false, 0, clock, out);
    assertEquals(null, retrier.policyFor("test.Service.Echo", "test.Service"));
    call.start(subchannel);
    connects.runAll();
    answer(last(), call, UNAVAILABLE);
    assertEquals(StatusCode.UNAVAILABLE, out.only().code());
  }

  @Test
  void theBackoffGrowsByTheMultiplierUpToItsBoundAndAMethodPolicyWinsOverItsService() {
    retrier = retrier(Map.of("test.Service", THREE_ATTEMPTS, "test.Service.Echo",
        RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofMillis(100))
            .backoffMultiplier(2).maxBackoff(Duration.ofMillis(300)).build()));
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 0);
    FakeConnection c = last();
    long[] waits = {50, 100, 150, 150}; // half of 100, 200, 300 (the bound), 300
    for (int retry = 0; retry < waits.length; retry++) {
      answer(c, call, Status.of(StatusCode.UNAVAILABLE, "attempt " + (retry + 1)));
      clock.advanceMillis(waits[retry] - 1);
      assertEquals(retry + 1, c.wire.size(), "retry " + (retry + 1) + " came early");
      clock.advanceMillis(1);
      assertEquals(retry + 2, c.wire.size(), "retry " + (retry + 1) + " did not come");
    }
    answer(c, call, Status.of(StatusCode.UNAVAILABLE, "attempt 5"));
    Status last = out.only();
    assertEquals(StatusCode.UNAVAILABLE, last.code());
    assertEquals("attempt 5", last.message(), "the caller sees the last attempt's status");
  }

  @Test
  void maxAttemptsIsHonoured() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 0);
    FakeConnection c = last();
    for (int i = 1; i <= 3; i++) {
      assertEquals(i, c.wire.size());
      answer(c, call, Status.of(StatusCode.RESOURCE_EXHAUSTED, "busy " + i));
      clock.advanceMillis(1000);
    }
    assertEquals("busy 3", out.only().message());
    assertEquals(List.of("REQUEST 1", "REQUEST 2", "REQUEST 3"), c.wire);
  }

  @Test
  void aRetryWhoseBackoffWouldEndPastTheDeadlineIsNotMadeAndTheCallFailsAtOnce() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 120);
    FakeConnection c = last();
    answer(c, call, UNAVAILABLE);
    clock.advanceMillis(50); // the first retry: 50 ms, within the deadline
    assertEquals(2, c.wire.size());
    clock.advanceMillis(10);
    answer(c, call, Status.of(StatusCode.UNAVAILABLE, "still restarting"));
    // the next wait (100 ms) would end at 160 ms, past the deadline at 120 ms
    assertEquals("still restarting", out.only().message());
    assertEquals(0, clock.pendingTimers(), "the deadline timer outlived the call");
    assertEquals(0, retrier.callsWaiting());
  }

  @Test
  void aDeadlineDuringALaterAttemptEndsTheCallOnceAndSaysWhatFailedBefore() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 100);
    FakeConnection c = last();
    answer(c, call, UNAVAILABLE);
    clock.advanceMillis(50);
    clock.advanceMillis(50);
    Status s = out.only();
    assertEquals(StatusCode.DEADLINE_EXCEEDED, s.code());
    assertTrue(s.message().contains("(attempt 2; the one before failed with UNAVAILABLE: "
        + "restarting)"), s.message());
    assertEquals(List.of("REQUEST 1", "REQUEST 2", "CANCEL 2"), c.wire);
    clock.advanceMillis(1000);
    assertEquals(1, out.statuses.size());
  }

  @Test
  void oneWayCallsAreNeverRetried() {
    Outcomes out = new Outcomes();
    ClientCall call = new ClientCall("test.Service", "Echo", Metadata.empty(),
        ByteBuffer.allocate(3), "", 3, true, false, 0, clock, out);
    call.retryUnder(retrier, THREE_ATTEMPTS); // even if given a policy
    call.start(subchannel);
    connects.runAll();
    last().lose(); // lost after its request was written
    assertEquals(StatusCode.UNAVAILABLE, out.only().code());
    assertEquals(0, clock.pendingTimers());
    assertEquals(10.0, throttle.tokens(), "a one-way call took a retry token");
  }

  @Test
  void aConnectionLostAfterTheRequestWasWrittenIsRetriedOnTheNextConnection() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 0);
    FakeConnection first = last();
    first.lose();
    assertEquals(List.of(), out.statuses);
    clock.advanceMillis(50);
    connects.runAll();
    FakeConnection second = last();
    assertTrue(first != second, "no new connection");
    assertEquals(List.of("REQUEST 1"), second.wire);
    answer(second, call, Status.OK);
    assertEquals(StatusCode.OK, out.only().code());
  }

  @Test
  void aRetriedRequestLostBeforeItWasWrittenIsPlacedAgainNotCountedAsSent() {
    retrier = retrier(Map.of("test.Service", RetryPolicy.builder().maxAttempts(2).build()));
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 0);
    FakeConnection c = last();
    answer(c, call, UNAVAILABLE); // attempt 1 failed: the retry goes to the same connection...
    c.holdWrites = true;
    clock.advanceMillis(1000);
    assertEquals(1, c.callsInFlight());
    c.lose(); // ...which goes before it writes the retry: attempt 2 never left the client
    assertEquals(List.of(), out.statuses, "a retry that never left the client failed the call");
    connects.runAll();
    assertEquals(List.of("REQUEST 1"), last().wire);
    answer(last(), call, Status.OK);
    assertEquals(StatusCode.OK, out.only().code());
  }

  // ------------------------------------------------------------------ the throttle

  @Test
  void theThrottleStopsRetriesWhileMostAttemptsFailAndSuccessesResumeThem() {
    throttle = new RetryThrottle(4, 0.5); // retries while more than 2 tokens are left
    retrier = retrier(Map.of("test.Service", THREE_ATTEMPTS));
    Outcomes first = new Outcomes();
    ClientCall a = start(first, 0);
    FakeConnection c = last();
    answer(c, a, UNAVAILABLE); // 3 tokens left: retried
    assertEquals(1, retrier.callsWaiting());
    Outcomes second = new Outcomes();
    ClientCall b = start(second, 0);
    answer(c, b, UNAVAILABLE); // 2 left: not retried
    assertEquals(StatusCode.UNAVAILABLE, second.only().code());
    clock.advanceMillis(50);
    answer(c, a, Status.OK); // 2.5
    assertEquals(StatusCode.OK, first.only().code());
    for (int i = 0; i < 2; i++) { // 3, 3.5
      Outcomes ok = new Outcomes();
      answer(c, start(ok, 0), Status.OK);
      assertEquals(StatusCode.OK, ok.only().code());
    }
    Outcomes third = new Outcomes();
    answer(c, start(third, 0), UNAVAILABLE); // 2.5 left: retried again
    assertEquals(List.of(), third.statuses);
    assertEquals(1, retrier.callsWaiting());
  }

  @Test
  void throttleTokensStayWithinTheirBounds() {
    RetryThrottle t = new RetryThrottle(2, 1);
    t.succeeded();
    assertEquals(2.0, t.tokens(), "grew past its maximum");
    assertFalse(t.failedMayRetry(), "1 token left is not more than half of 2");
    assertEquals(1.0, t.tokens());
    for (int i = 0; i < 5; i++) {
      t.failedMayRetry();
    }
    assertEquals(0.0, t.tokens(), "went below zero");
  }

  // ------------------------------------------------------------------ endings during the backoff

  enum Event { BACKOFF_OVER, RESPONSE, CANCEL, CLOSE }

  static Stream<List<Event>> orders() {
    List<Event> all = List.of(Event.values());
    return Permutations.of(all);
  }


  /**
   * A call waits out its backoff while the retry timer, the server's answer to the retry, a
   * cancel and the client's close come in every order: the first ending wins, once; a call that
   * ended during the backoff is not sent again; no timer outlives it.
   */
  @ParameterizedTest
  @MethodSource("orders")
  void duringTheBackoffTheFirstEndingWinsAndTheCallIsNotSentAgain(List<Event> order) {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 1000);
    FakeConnection c = last();
    answer(c, call, UNAVAILABLE);
    StatusCode expected = null;
    boolean sentAgain = false;
    for (Event e : order) {
      switch (e) {
        case BACKOFF_OVER -> {
          clock.advanceMillis(50);
          sentAgain |= expected == null;
        }
        case RESPONSE -> {
          if (c.calls.containsKey(2L)) {
            answer(c, call, Status.OK);
          }
          if (expected == null && sentAgain) {
            expected = StatusCode.OK;
          }
        }
        case CANCEL -> {
          call.cancel();
          expected = expected == null ? StatusCode.CANCELLED : expected;
        }
        case CLOSE -> { // as RpcClient.close(): the retrier, then the subchannel
          retrier.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
          subchannel.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
          expected = expected == null ? StatusCode.UNAVAILABLE : expected;
        }
      }
    }
    assertEquals(expected, out.only().code(), () -> "order " + order);
    List<String> wire = new ArrayList<>(List.of("REQUEST 1"));
    if (sentAgain) {
      wire.add("REQUEST 2");
      if (expected == StatusCode.CANCELLED) {
        wire.add("CANCEL 2");
      }
    }
    assertEquals(wire, c.wire, () -> "order " + order);
    clock.advanceMillis(2000);
    assertEquals(1, out.statuses.size(), "completed twice");
    assertEquals(wire, c.wire, "sent after it ended");
    assertEquals(0, clock.pendingTimers(), "a timer outlived the call");
    assertEquals(0, retrier.callsWaiting());
    assertEquals(0, subchannel.callsInFlight());
  }

  @Test
  void cancelDuringTheBackoffEndsTheCallOnce() {
    Outcomes out = new Outcomes();
    ClientCall call = start(out, 0);
    answer(last(), call, UNAVAILABLE);
    call.cancel();
    call.cancel();
    assertEquals(StatusCode.CANCELLED, out.only().code());
    assertEquals(0, clock.pendingTimers(), "the backoff timer outlived the call");
    clock.advanceMillis(1000);
    assertEquals(List.of("REQUEST 1"), last().wire);
  }

  @Test
  void aCallCancelledWhileItMovesIntoTheBackoffIsLetGo() {
    ClientCall[] current = new ClientCall[1];
    // the retrier reads the jitter just before it takes the call: cancel there
    retrier = new Retrier(Map.of("test.Service", THREE_ATTEMPTS), throttle, clock, () -> {
      current[0].cancel();
      return 0.5;
    });
    Outcomes out = new Outcomes();
    current[0] = start(out, 1000);
    answer(last(), current[0], UNAVAILABLE);
    assertEquals(StatusCode.CANCELLED, out.only().code());
    assertEquals(0, retrier.callsWaiting(), "the retrier kept a call that had ended");
    assertEquals(0, clock.pendingTimers(), "the backoff timer outlived the call");
  }

  @Test
  void closeDuringTheBackoffEndsTheCallOnceAndLaterFailuresAreNotRetried() {
    Outcomes waiting = new Outcomes();
    Outcomes onTheWire = new Outcomes();
    ClientCall a = start(waiting, 0);
    start(onTheWire, 0);
    answer(last(), a, UNAVAILABLE);
    retrier.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    assertEquals("client closed", waiting.only().message());
    subchannel.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed")); // lost when written
    assertEquals("client closed", onTheWire.only().message(), "retried after close");
    assertEquals(0, clock.pendingTimers());
    clock.advanceMillis(1000);
    assertEquals(1, waiting.statuses.size());
  }
}
