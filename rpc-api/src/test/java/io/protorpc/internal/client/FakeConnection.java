package io.protorpc.internal.client;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A connection that records what the core does with it and lets the test play the server. Not
 * thread-safe: the core tests run on one thread.
 */
final class FakeConnection implements ClientConnection, ClientCall.Place {
  final ClientConnection.Listener listener;
  final Map<Long, ClientCall> calls = new LinkedHashMap<>();
  final List<String> wire = new ArrayList<>(); // "REQUEST 1", "CANCEL 1"
  private long nextId;
  private boolean usable = true;
  private boolean closed;
  /** Requests queued but not written yet (a writer that has not had its turn). */
  boolean holdWrites;

  FakeConnection(ClientConnection.Listener listener) {
    this.listener = listener;
  }

  @Override
  public boolean start(ClientCall call) {
    if (!usable) {
      return false;
    }
    long id = ++nextId;
    calls.put(id, call);
    call.moveTo(this, id);
    if (call.isDone()) {
      remove(call, false);
      return true;
    }
    if (!holdWrites) {
      call.markRequestWritten(this);
      wire.add("REQUEST " + id);
    }
    return true;
  }

  @Override
  public void remove(ClientCall call, boolean tellServer) {
    if (calls.remove(call.streamId(), call) && tellServer) {
      wire.add("CANCEL " + call.streamId());
    }
  }

  @Override
  public String describeWait() {
    return "";
  }

  /** The server answers the call with id {@code id}. */
  void respond(long id, Status status, int flags) {
    ClientCall call = calls.remove(id);
    if (call != null) {
      Envelope e = Envelope.response(id, status, null, "", null, flags);
      call.closedBy(status, e, (flags & Envelope.FLAG_UNPROCESSED) != 0
          ? ClientCall.Delivery.UNPROCESSED : ClientCall.Delivery.SENT);
    }
  }

  /** The server answers the call with id {@code id} with a message's bytes. */
  void respond(long id, java.nio.ByteBuffer payload) {
    ClientCall call = calls.remove(id);
    if (call != null) {
      Envelope e = Envelope.response(id, Status.OK, null, "", payload, 0);
      call.closedBy(Status.OK, e, ClientCall.Delivery.SENT);
    }
  }

  /** The server says go away (or the client retires it): no new calls. */
  @Override
  public void drain() {
    usable = false;
    listener.onNotUsable(this);
  }

  /** Takes no new calls, but has not told its holder yet. */
  void drainUnannounced() {
    usable = false;
  }

  /** The connection breaks. */
  void lose() {
    shutdown(Status.of(StatusCode.UNAVAILABLE, "connection lost"));
  }

  @Override
  public boolean isUsable() {
    return usable && !closed;
  }

  @Override
  public int callsInFlight() {
    return calls.size();
  }

  @Override
  public void shutdown(Status status) {
    if (closed) {
      return;
    }
    closed = true;
    usable = false;
    for (ClientCall c : new ArrayList<>(calls.values())) {
      calls.values().remove(c);
      if (c.requestWrittenOn(this)) {
        c.closedBy(status, null, ClientCall.Delivery.SENT);
      } else {
        c.unsent(status);
      }
    }
    listener.onClosed(this);
  }

  boolean isClosed() {
    return closed;
  }
}
