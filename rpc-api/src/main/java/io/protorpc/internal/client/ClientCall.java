package io.protorpc.internal.client;

import io.protorpc.Metadata;
import io.protorpc.RetryPolicy;
import io.protorpc.Status;
import io.protorpc.internal.buffer.SerializationArrays;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One call, owned by the client from the moment it starts until its one completion.
 *
 * <p>A call is always in exactly one {@link Place}: a connection holder's queue while it waits
 * for a connection, a connection's table of calls once it is on one, or nowhere for the instant
 * it moves between the two. Whatever ends it first — the response, the deadline timer, {@link
 * #cancel()}, a lost connection, the client's close — wins one compare-and-set; the loser does
 * nothing. The winner detaches the call from its place (which, for a call on a connection,
 * queues a {@code CANCEL} on that connection's writer: never a write on the winner's thread),
 * then runs the listener once.
 *
 * <p>A place that takes the call publishes itself with {@link #moveTo} and then checks {@link
 * #isDone()}; the winner sets done and then reads the place. So a call that completes while it
 * moves is always detached by one side or the other.
 */
public final class ClientCall {

  /** Receives the outcome once; {@code response} is null unless the server answered. */
  @FunctionalInterface
  public interface Listener {
    void onComplete(Status status, Envelope response);
  }

  /**
   * How far a failed call got: what a retry layer needs to know to decide whether sending it
   * again is safe. Only {@link #SENT} calls may have run on a server.
   */
  public enum Delivery {
    /** Never left this client: no connection was ready, or it was lost before the request went out. */
    NOT_SENT,
    /** Reached a server that answered, without running it, that it is going away. */
    UNPROCESSED,
    /** Written to a connection: the server may have run it. */
    SENT
  }

  /** Where a call waits: a connection holder's queue or a connection's table of calls. */
  public interface Place {
    /**
     * Lets go of a call that ended elsewhere (deadline, cancel, close). Idempotent.
     *
     * @param tellServer whether a server that may have the call should be sent a {@code CANCEL}
     */
    void remove(ClientCall call, boolean tellServer);

    /** What the call is waiting for here, for a deadline's message: "" or " while ...". */
    String describeWait();
  }

  /**
   * Chooses where a call (re)starts: the one connection holder of an address, or a {@link
   * BalancedRouter} over a target's servers.
   */
  @FunctionalInterface
  public interface Router {
    void route(ClientCall call);
  }

  private final String service;
  private final String method;
  private final Metadata metadata;
  private final ByteBuffer payload;
  private final String compression;
  private final int messageSize;
  private final boolean oneWay;
  private final boolean waitForReady;
  private final long timeoutNanos; // 0: none
  private final long deadlineNanos;
  private final Clock clock;
  private final Listener listener;
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile Place place;
  private volatile Clock.Timer deadlineTimer;
  private volatile long streamId;
  private volatile Place writtenOn; // the connection its request was last handed to
  private volatile long writtenAsFrame; // the number of its request among that writer's frames
  private Router router;
  private boolean resent; // touched by one thread at a time: whoever holds the call's place
  private int unsentRetries; // likewise
  private Retrier retrier; // null: no retry policy; set before start
  private RetryPolicy retryPolicy;
  private int attempts = 1; // touched by whoever holds the call's place
  private volatile Status lastFailedAttempt; // of an attempt that was retried, for messages
  private SerializationArrays.Lease payloadArray; // null: the payload's array is its own; set before start

  /**
   * @param payload the encoded request, compressed as {@code compression} says ("" for none)
   * @param messageSize the request message's size before compression, for the peer's limit
   * @param timeoutNanos the call's timeout; 0 for none
   */
  public ClientCall(String service, String method, Metadata metadata, ByteBuffer payload,
      String compression, int messageSize, boolean oneWay, boolean waitForReady,
      long timeoutNanos, Clock clock, Listener listener) {
    this.service = service;
    this.method = method;
    this.metadata = metadata;
    this.payload = payload;
    this.compression = compression;
    this.messageSize = messageSize;
    this.oneWay = oneWay;
    this.waitForReady = waitForReady;
    this.timeoutNanos = timeoutNanos;
    this.clock = clock;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.deadlineNanos = timeoutNanos == 0 ? Long.MAX_VALUE : clock.nanoTime() + timeoutNanos;
  }

  /**
   * Makes the call's failed attempts subject to {@code policy}, applied by {@code retrier} (see
   * {@link #closedBy}). Before {@link #start}; returns this call.
   */
  public ClientCall retryUnder(Retrier retrier, RetryPolicy policy) {
    this.retrier = retrier;
    this.retryPolicy = policy;
    return this;
  }

  /**
   * The payload is in this lent array: the call holds it until it completes, and a writer holds
   * it while writing (see {@link #holdPayload()}), so that it goes back to its pool only once
   * neither needs it. Before {@link #start}; returns this call.
   */
  public ClientCall payloadIn(SerializationArrays.Lease array) {
    this.payloadArray = array;
    return this;
  }

  /**
   * Arms the deadline and hands the call to {@code router}. Returns at once; the outcome goes to
   * the listener, on whichever thread ends the call.
   */
  public void start(Router router) {
    this.router = router;
    if (timeoutNanos != 0) {
      Clock.Timer t = clock.schedule(this::deadlinePassed, deadlineNanos - clock.nanoTime());
      deadlineTimer = t;
      if (done.get()) {
        t.cancel(); // ended while the timer was being armed
      }
    }
    if (!done.get()) {
      router.route(this);
    }
  }

  // ------------------------------------------------------------------ what a place needs

  public String service() {
    return service;
  }

  public String method() {
    return method;
  }

  public Metadata metadata() {
    return metadata;
  }

  /** The encoded request; a duplicate, so that every attempt reads it from the start. */
  public ByteBuffer payload() {
    return payload.duplicate();
  }

  /**
   * A writer is about to write the payload: true if it may, and must then call {@link
   * #releasePayload()} once the write has returned; false if the call has completed and let go
   * of its payload (nothing may be written then).
   */
  public boolean holdPayload() {
    return payloadArray == null || payloadArray.retain();
  }

  /** The write that {@link #holdPayload()} allowed has returned. */
  public void releasePayload() {
    if (payloadArray != null) {
      payloadArray.release();
    }
  }

  public String compression() {
    return compression;
  }

  public int messageSize() {
    return messageSize;
  }

  public boolean isOneWay() {
    return oneWay;
  }

  public boolean waitForReady() {
    return waitForReady;
  }

  /** Microseconds left until the deadline, at least 1; 0 for a call without one. */
  public long timeoutMicrosLeft() {
    return deadlineNanos == Long.MAX_VALUE
        ? 0 : Math.max(1, (deadlineNanos - clock.nanoTime()) / 1000);
  }

  /** The id of this call on the connection it was last placed on. */
  public long streamId() {
    return streamId;
  }

  /** Whether the request has been handed to {@code connection}'s transport (by its writer). */
  public boolean requestWrittenOn(Place connection) {
    return writtenOn == connection;
  }

  /** The writer of {@code connection} is writing the request (a failed write may have sent it). */
  public void markRequestWritten(Place connection) {
    markRequestWritten(connection, 0);
  }

  /** As {@link #markRequestWritten(Place)}, noting which of the writer's frames the request is. */
  public void markRequestWritten(Place connection, long frameNumber) {
    writtenAsFrame = frameNumber;
    writtenOn = connection;
  }

  /** Which of its writer's frames the request was, as given to {@link #markRequestWritten}. */
  public long requestFrameNumber() {
    return writtenAsFrame;
  }

  /** Whether the call is (still) in {@code p}: a writer skips requests of calls that left it. */
  public boolean isIn(Place p) {
    return place == p;
  }

  public boolean isDone() {
    return done.get();
  }

  /**
   * Puts the call in {@code to} (with its id there, for a connection). The caller must check
   * {@link #isDone()} afterwards and let go of the call if it is.
   */
  public void moveTo(Place to, long id) {
    streamId = id;
    place = to;
  }

  // ------------------------------------------------------------------ endings

  /** The client asked to cancel: completes with {@code CANCELLED} and tells the server. */
  public void cancel() {
    end(Status.of(StatusCode.CANCELLED, "cancelled by the client"), null, true);
  }

  private void deadlinePassed() {
    Place p = place;
    String where = p == null ? "" : p.describeWait();
    Status retried = lastFailedAttempt;
    String attemptsMade = retried == null ? "" : " (attempt " + attempts + "; the one before "
        + "failed with " + retried.code() + ": " + retried.message() + ")";
    end(Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline of " + describe(timeoutNanos)
        + " exceeded" + where + attemptsMade), null, true);
  }

  /**
   * Its place let go of the call and reports how the attempt ended. A call a server going away did
   * not run is routed once more (its caller then sees the answer of a server that is up); a call
   * with a retry policy whose attempt failed may wait in its {@link Retrier} for another attempt;
   * any other outcome completes the call.
   */
  public void closedBy(Status status, Envelope response, Delivery delivery) {
    if (delivery == Delivery.UNPROCESSED && !resent && !done.get() && router != null) {
      resent = true;
      place = null;
      router.route(this);
      return;
    }
    if (retrier != null && !done.get() && router != null && retrier.retryLater(this, status)) {
      return;
    }
    complete(status, response);
  }

  RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** Attempts made so far under the retry policy, this one included (transparent ones aside). */
  int attempts() {
    return attempts;
  }

  /** Nanoseconds until the deadline (may be 0 or less); Long.MAX_VALUE without one. */
  long nanosUntilDeadline() {
    return deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - clock.nanoTime();
  }

  /** The attempt that just failed with {@code status} is to be retried. */
  void failedAttempt(Status status) {
    lastFailedAttempt = status;
  }

  /** The backoff after a failed attempt is over: the next attempt is routed like the first. */
  void attemptAgain() {
    if (done.get()) {
      return;
    }
    attempts++;
    writtenOn = null; // its request is not written anywhere yet, even if it goes where it went
    place = null;
    router.route(this);
  }

  /**
   * The connection it was on went away before its request was written: it never left this
   * client, so it is routed again (at most {@link #MAX_UNSENT_RETRIES} times, then it fails with
   * {@code status}). A closing client's router fails it at once.
   */
  public void unsent(Status status) {
    if (unsentRetries < MAX_UNSENT_RETRIES && !done.get() && router != null) {
      unsentRetries++;
      place = null;
      router.route(this);
      return;
    }
    complete(status, null);
  }

  /** How often a call that never left the client is placed again before it fails. */
  static final int MAX_UNSENT_RETRIES = 3;

  /** Completes the call unless it has completed already; its place has let go of it. */
  public void complete(Status status, Envelope response) {
    if (done.compareAndSet(false, true)) {
      finish(status, response);
    }
  }

  /** Completes the call from outside its place: the place is told to let go of it. */
  private void end(Status status, Envelope response, boolean tellServer) {
    if (done.compareAndSet(false, true)) {
      Place p = place;
      if (p != null) {
        p.remove(this, tellServer);
      }
      finish(status, response);
    }
  }

  private void finish(Status status, Envelope response) {
    Clock.Timer t = deadlineTimer;
    if (t != null) {
      t.cancel();
    }
    if (payloadArray != null) {
      payloadArray.release(); // the call's share; a write in progress keeps its own
    }
    listener.onComplete(status, response);
  }

  /** "250 ms", or finer for timeouts under a millisecond. */
  static String describe(long nanos) {
    if (nanos >= TimeUnit.MILLISECONDS.toNanos(1)) {
      return TimeUnit.NANOSECONDS.toMillis(nanos) + " ms";
    }
    return nanos >= 1000 ? nanos / 1000 + " µs" : nanos + " ns";
  }

  @Override
  public String toString() {
    return "ClientCall[" + service + "/" + method + (done.get() ? ", done" : "") + "]";
  }
}
