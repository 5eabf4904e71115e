package io.protorpc.testkit;

import io.protorpc.balancer.Backend;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Backend} a test sets by hand: its state and calls in flight, and it counts the
 * connections asked of it (an {@link Backend.State#IDLE} one then turns {@link
 * Backend.State#CONNECTING}, as the client's would). For testing balancers without a client.
 * Thread-safe.
 */
public final class FakeBackend implements Backend {
  private final SocketAddress address;
  private volatile State state;
  private final AtomicInteger callsInFlight = new AtomicInteger();
  private final AtomicInteger connectionRequests = new AtomicInteger();

  public FakeBackend(SocketAddress address, State state) {
    this.address = address;
    this.state = state;
  }

  @Override
  public SocketAddress address() {
    return address;
  }

  @Override
  public State state() {
    return state;
  }

  public FakeBackend state(State s) {
    this.state = s;
    return this;
  }

  @Override
  public int callsInFlight() {
    return callsInFlight.get();
  }

  public FakeBackend callsInFlight(int n) {
    callsInFlight.set(n);
    return this;
  }

  @Override
  public void requestConnection() {
    connectionRequests.incrementAndGet();
    if (state == State.IDLE) {
      state = State.CONNECTING;
    }
  }

  /** How many times a balancer asked this backend to connect. */
  public int connectionRequests() {
    return connectionRequests.get();
  }

  @Override
  public String toString() {
    return "FakeBackend[" + address + ", " + state + ", " + callsInFlight + " in flight]";
  }
}
