package io.protorpc.internal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The call state machine and the connection holder, driven by a fake clock, a fake connector
 * and an executor the test runs by hand: every interleaving here is exact and repeatable.
 */
class ClientCoreTest {
  private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 9090);
  private static final long MS = 1_000_000L;

  private final FakeClock clock = new FakeClock();
  private final ManualExecutor connects = new ManualExecutor();
  /** What the next connection attempts do: an exception to throw, or "ok". */
  private final Deque<Object> script = new ArrayDeque<>();
  private final List<FakeConnection> connections = new ArrayList<>();
  private final List<Connector.Attempt> attempts = new ArrayList<>();
  /** New connections queue requests without writing them. */
  private boolean holdWrites;
  private final Connector connector = (address, attempt, listener) -> {
    attempts.add(attempt);
    Object next = script.isEmpty() ? "ok" : script.poll();
    if (next instanceof IOException e) {
      throw e;
    }
    if (next instanceof RuntimeException e) {
      throw e;
    }
    FakeConnection c = new FakeConnection(listener);
    c.holdWrites = holdWrites;
    connections.add(c);
    return c;
  };
  private final Subchannel subchannel =
      new Subchannel(ADDRESS, connector, connects, clock, failures -> 100 * MS * failures, 1000 * MS);

  private ClientCall call(Outcomes out, long timeoutMillis, boolean waitForReady) {
    return out.call(clock, timeoutMillis, waitForReady);
  }

  private FakeConnection connectNow() {
    subchannel.connect();
    connects.runAll();
    assertEquals(ConnectivityState.READY, subchannel.state());
    return connections.get(connections.size() - 1);
  }

  // ------------------------------------------------------------------ every order

  enum Event { RESPONSE, DEADLINE, CANCEL, CLOSE, CONNECTED }

  static Stream<List<Event>> ordersOnAConnection() {
    return Permutations.of(List.of(Event.RESPONSE, Event.DEADLINE, Event.CANCEL, Event.CLOSE));
  }

  static Stream<List<Event>> ordersWhileConnecting() {
    return Permutations.of(List.of(Event.CONNECTED, Event.DEADLINE, Event.CANCEL, Event.CLOSE));
  }


  private static StatusCode codeOf(Event e) {
    return switch (e) {
      case RESPONSE -> StatusCode.OK;
      case DEADLINE -> StatusCode.DEADLINE_EXCEEDED;
      case CANCEL -> StatusCode.CANCELLED;
      case CLOSE -> StatusCode.UNAVAILABLE;
      case CONNECTED -> throw new IllegalArgumentException();
    };
  }

  private void fire(Event e, ClientCall call, FakeConnection c) {
    switch (e) {
      case RESPONSE -> c.respond(1, Status.OK, 0);
      case DEADLINE -> clock.advanceMillis(100);
      case CANCEL -> call.cancel();
      case CLOSE -> subchannel.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
      case CONNECTED -> connects.runAll();
    }
  }

  @ParameterizedTest
  @MethodSource("ordersOnAConnection")
  void onAConnectionTheFirstEndingWinsAndTheRestDoNothing(List<Event> order) {
    FakeConnection c = connectNow();
    Outcomes out = new Outcomes();
    ClientCall call = call(out, 100, false);
    call.start(subchannel);
    assertEquals(List.of("REQUEST 1"), c.wire);
    for (Event e : order) {
      fire(e, call, c);
    }
    assertEquals(codeOf(order.get(0)), out.only(), () -> "order " + order);
    boolean toldServer = order.get(0) == Event.DEADLINE || order.get(0) == Event.CANCEL;
    assertEquals(toldServer ? List.of("REQUEST 1", "CANCEL 1") : List.of("REQUEST 1"), c.wire);
    assertEquals(0, c.callsInFlight());
    assertEquals(0, subchannel.callsInFlight());
    assertEquals(0, clock.pendingTimers(), "the deadline timer outlived its call");
  }

  @ParameterizedTest
  @MethodSource("ordersWhileConnecting")
  void whileConnectingTheFirstEndingWinsWhereverTheCallIs(List<Event> order) {
    Outcomes out = new Outcomes();
    ClientCall call = call(out, 100, false);
    call.start(subchannel);
    assertEquals(ConnectivityState.CONNECTING, subchannel.state());
    assertEquals(1, subchannel.callsInFlight(), "the queued call is visible");
    for (Event e : order) {
      fire(e, call, connections.isEmpty() ? null : connections.get(0));
    }
    Event first = order.get(0) == Event.CONNECTED ? order.get(1) : order.get(0);
    assertEquals(codeOf(first), out.only(), () -> "order " + order);
    assertEquals(1, connections.size());
    FakeConnection c = connections.get(0);
    if (order.get(0) == Event.CONNECTED) {
      assertEquals(first == Event.CLOSE ? List.of("REQUEST 1") : List.of("REQUEST 1", "CANCEL 1"),
          c.wire);
    } else {
      assertEquals(List.of(), c.wire, "a call that ended while queued reached the connection");
    }
    if (order.indexOf(Event.CLOSE) < order.indexOf(Event.CONNECTED)) {
      assertTrue(c.isClosed(), "a connection made after close() was kept");
    }
    assertEquals(0, subchannel.callsInFlight());
  }

  // ------------------------------------------------------------------ connecting

  @Test
  void callMethodNeverConnectsOnTheCallersThread() {
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    assertEquals(List.of(), attempts, "connected on the caller's thread");
    assertEquals(1, connects.queued());
    connects.runAll();
    assertEquals(List.of("REQUEST 1"), connections.get(0).wire);
  }

  @Test
  void aDeadlineWhileConnectingSaysWhatTheConnectionWasDoing() {
    Outcomes out = new Outcomes();
    call(out, 1, false).start(subchannel);
    clock.advanceMillis(1);
    out.only();
    String message = out.statuses.get(0).message();
    assertEquals(StatusCode.DEADLINE_EXCEEDED, out.statuses.get(0).code());
    assertTrue(message.startsWith("deadline of 1 ms exceeded while connecting to "
        + ADDRESS), message);
    assertTrue(message.contains("starting"), message);
  }

  @Test
  void aDeadlineDuringTheBackoffNamesTheLastFailure() {
    script.add(new ConnectException("Connection refused"));
    Outcomes out = new Outcomes();
    call(out, 50, true).start(subchannel);
    connects.runAll();
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, subchannel.state());
    assertEquals(List.of(), out.statuses, "a wait-for-ready call failed with the attempt");
    clock.advanceMillis(50);
    String message = out.statuses.get(0).message();
    assertEquals(StatusCode.DEADLINE_EXCEEDED, out.only());
    assertTrue(message.contains("waiting to reconnect to " + ADDRESS), message);
    assertTrue(message.contains("Connection refused"), message);
  }

  @Test
  void aFailedAttemptFailsFastCallsAndKeepsWaitForReadyOnesUntilTheNextAttempt() {
    script.add(new ConnectException("Connection refused"));
    Outcomes fast = new Outcomes();
    Outcomes patient = new Outcomes();
    call(fast, 0, false).start(subchannel);
    call(patient, 0, true).start(subchannel);
    connects.runAll();
    assertEquals(StatusCode.UNAVAILABLE, fast.only());
    assertTrue(fast.statuses.get(0).message().contains("Connection refused"));
    assertEquals(List.of(), patient.statuses);

    // during the backoff a fail-fast call fails at once, saying when the next attempt is
    Outcomes during = new Outcomes();
    call(during, 0, false).start(subchannel);
    assertEquals(StatusCode.UNAVAILABLE, during.only());
    assertTrue(during.statuses.get(0).message().contains("next attempt in 100 ms"),
        during.statuses.get(0).message());
    assertEquals(1, attempts.size(), "no attempt before the backoff ends");

    clock.advanceMillis(100); // the backoff ends; the waiting call wants a connection
    assertEquals(ConnectivityState.CONNECTING, subchannel.state());
    connects.runAll();
    assertEquals(2, attempts.size());
    assertEquals(List.of("REQUEST 1"), connections.get(0).wire);
    connections.get(0).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, patient.only());
  }

  @Test
  void backoffGrowsWithFailuresAndResetsOnSuccess() {
    for (int i = 0; i < 3; i++) {
      script.add(new ConnectException("Connection refused"));
    }
    Outcomes out = new Outcomes();
    call(out, 0, true).start(subchannel);
    connects.runAll();
    clock.advanceMillis(99);
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, subchannel.state());
    clock.advanceMillis(1);
    connects.runAll(); // second failure: 200 ms
    clock.advanceMillis(199);
    assertEquals(2, attempts.size());
    clock.advanceMillis(1);
    connects.runAll(); // third failure: 300 ms
    clock.advanceMillis(300);
    connects.runAll(); // succeeds
    assertEquals(4, attempts.size());
    assertEquals(ConnectivityState.READY, subchannel.state());
    connections.get(0).lose();
    assertEquals(ConnectivityState.IDLE, subchannel.state());
    script.add(new ConnectException("Connection refused"));
    call(new Outcomes(), 0, true).start(subchannel);
    connects.runAll();
    clock.advanceMillis(100); // one failure since the success: 100 ms again
    assertEquals(ConnectivityState.CONNECTING, subchannel.state());
  }

  @Test
  void afterTheBackoffWithNobodyWaitingTheNextCallConnects() {
    script.add(new ConnectException("Connection refused"));
    call(new Outcomes(), 0, false).start(subchannel);
    connects.runAll();
    clock.advanceMillis(100);
    assertEquals(ConnectivityState.IDLE, subchannel.state(), "reconnected with nobody waiting");
    assertEquals(0, connects.queued());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    connects.runAll();
    connections.get(0).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, out.only());
  }

  @Test
  void aRuntimeExceptionWhileConnectingEndsTheAttemptLikeAnyFailure() {
    script.add(new IllegalStateException("failed to open a new channel: too many open files"));
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    connects.runAll();
    assertEquals(StatusCode.UNAVAILABLE, out.only());
    assertTrue(out.statuses.get(0).message().contains("too many open files"));
    assertEquals(ConnectivityState.TRANSIENT_FAILURE, subchannel.state());
  }

  @Test
  void connectReportsTheAttemptsOutcome() throws Exception {
    script.add(new ConnectException("cannot connect to " + ADDRESS + ": Connection refused"));
    var failed = subchannel.connect();
    connects.runAll();
    assertTrue(failed.isCompletedExceptionally());
    clock.advanceMillis(100);
    var ok = subchannel.connect();
    assertFalse(ok.isDone());
    connects.runAll();
    assertTrue(ok.isDone() && !ok.isCompletedExceptionally());
  }

  // ------------------------------------------------------------------ close

  @Test
  void closeFailsQueuedCallsAtOnceAndCancelsTheAttempt() {
    Outcomes a = new Outcomes();
    Outcomes b = new Outcomes();
    call(a, 0, true).start(subchannel);
    call(b, 5_000, false).start(subchannel);
    Connector.Attempt attempt = null;
    subchannel.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    assertEquals(StatusCode.UNAVAILABLE, a.only());
    assertEquals(StatusCode.UNAVAILABLE, b.only());
    assertEquals(0, clock.pendingTimers(), "a deadline timer outlived its call");
    connects.runAll();
    attempt = attempts.get(0);
    assertTrue(attempt.cancelled().isDone(), "the attempt was not told to stop");
    assertTrue(connections.get(0).isClosed(), "a connection made after close() was kept");
    Outcomes late = new Outcomes();
    call(late, 0, true).start(subchannel);
    assertEquals(StatusCode.UNAVAILABLE, late.only());
    assertEquals(1, attempts.size());
  }

  @Test
  void closeDuringTheBackoffFailsWaitForReadyCallsAndStopsTheTimer() {
    script.add(new ConnectException("Connection refused"));
    Outcomes out = new Outcomes();
    call(out, 0, true).start(subchannel);
    connects.runAll();
    assertEquals(1, clock.pendingTimers());
    subchannel.shutdown(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    assertEquals(StatusCode.UNAVAILABLE, out.only());
    assertEquals(0, clock.pendingTimers());
    assertEquals(ConnectivityState.SHUTDOWN, subchannel.state());
  }

  // ------------------------------------------------------------------ connections that go

  @Test
  void aCallRefusedByADrainingConnectionGoesToANewOne() {
    FakeConnection first = connectNow();
    first.drain(); // go-away or idle: READY no more
    assertEquals(ConnectivityState.IDLE, subchannel.state());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    connects.runAll();
    assertEquals(List.of(), first.wire);
    assertEquals(List.of("REQUEST 1"), connections.get(1).wire);
  }

  @Test
  void aCallRacingTheDrainIsRefusedByTheConnectionAndWaitsForTheNext() {
    FakeConnection first = connectNow();
    first.drainUnannounced(); // the go-away is being read; the holder has not heard yet
    assertEquals(ConnectivityState.READY, subchannel.state());
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    assertEquals(ConnectivityState.CONNECTING, subchannel.state(), "the refusal retired it");
    connects.runAll();
    assertEquals(List.of(), first.wire);
    assertEquals(List.of("REQUEST 1"), connections.get(1).wire);
    assertEquals(List.of(), out.statuses);
  }

  @Test
  void anUnprocessedCallIsSentOnceMoreAndOnlyOnce() {
    FakeConnection first = connectNow();
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    first.drain();
    first.respond(1, Status.of(StatusCode.UNAVAILABLE, "going away"), Envelope.FLAG_UNPROCESSED);
    assertEquals(List.of(), out.statuses);
    connects.runAll();
    FakeConnection second = connections.get(1);
    assertEquals(List.of("REQUEST 1"), second.wire);
    second.drain();
    second.respond(1, Status.of(StatusCode.UNAVAILABLE, "going away"), Envelope.FLAG_UNPROCESSED);
    assertEquals(StatusCode.UNAVAILABLE, out.only());
  }

  @Test
  void aCallWhoseConnectionWentBeforeItsRequestWasWrittenGoesToTheNext() {
    FakeConnection first = connectNow();
    first.holdWrites = true;
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    first.lose(); // e.g. the server's idle close, crossing the call on its way out
    assertEquals(List.of(), out.statuses, "a call that never left the client failed");
    connects.runAll();
    assertEquals(List.of("REQUEST 1"), connections.get(1).wire);
    connections.get(1).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, out.only());
  }

  @Test
  void aCallNeverSentIsPlacedAgainOnlyAFewTimes() {
    holdWrites = true;
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    for (int i = 0; i <= ClientCall.MAX_UNSENT_RETRIES; i++) {
      connects.runAll();
      FakeConnection c = connections.get(connections.size() - 1);
      assertEquals(1, c.callsInFlight(), "attempt " + i + " did not place the call");
      c.lose();
    }
    assertEquals(StatusCode.UNAVAILABLE, out.only());
    assertEquals(ClientCall.MAX_UNSENT_RETRIES + 1, connections.size());
  }

  @Test
  void losingTheConnectionFailsItsCallsAndTheNextCallReconnects() {
    FakeConnection first = connectNow();
    Outcomes out = new Outcomes();
    call(out, 0, false).start(subchannel);
    first.lose();
    assertEquals(StatusCode.UNAVAILABLE, out.only());
    assertEquals(ConnectivityState.IDLE, subchannel.state());
    Outcomes next = new Outcomes();
    call(next, 0, false).start(subchannel);
    connects.runAll();
    connections.get(1).respond(1, Status.OK, 0);
    assertEquals(StatusCode.OK, next.only());
  }
}
