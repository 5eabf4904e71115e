package io.protorpc;

import io.protorpc.spi.Envelope;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client's memory budget: the bytes of its requests, from the call's start until it ends (they
 * wait for a connection, for the writer, and for a possible resend), and of what it receives,
 * from the first byte of a response's frame until the response has been decompressed and parsed
 * for its caller.
 *
 * <p>A new call that does not fit is refused at once, locally. While the budget is spent and
 * responses waiting to be parsed hold part of it, the client stops reading from its connections
 * (the server's writes then wait); it reads again once parsing brings the count below seven
 * eighths of the limit, or no response waits any more. Reading never stops for requests or
 * unfinished frames alone: what frees them is reading on (a request's bytes are freed by its
 * response, a partial frame by its end), so a pause for them would never end. Parsing frees
 * responses without reading, so a pause for them always does; reading on meanwhile adds at most
 * the rest of one frame per connection.
 *
 * <p>Thread-safe.
 */
final class ClientMemory {
  private final MemoryBudget budget;
  /** The part of the budget held by responses waiting to be parsed (and their decompression). */
  private final AtomicLong unparsed = new AtomicLong();
  private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private volatile boolean paused; // written under lock

  ClientMemory(long limit) {
    this.budget = new MemoryBudget(limit, () -> { });
  }

  long limit() {
    return budget.limit();
  }

  long used() {
    return budget.used();
  }

  /** Counts a new call's request if it fits; false (nothing counted) if the budget is spent. */
  boolean tryHoldRequest(long bytes) {
    return budget.tryAcquire(bytes);
  }

  /** The call whose request {@link #tryHoldRequest} counted has ended. */
  void releaseRequest(long bytes) {
    budget.release(bytes);
    updateReading();
  }

  /** Bytes of unfinished frames a connection holds (negative: no longer). */
  void partialFrames(long delta) {
    budget.add(delta);
    if (delta < 0) {
      updateReading(); // may bring the count under the low-water mark
    }
  }

  /** Bytes of responses waiting to be parsed, in memory already (negative: parsed or dropped). */
  void unparsed(long delta) {
    if (delta == 0) {
      return;
    }
    unparsed.addAndGet(delta);
    budget.add(delta);
    updateReading();
  }

  /** Counts room to decompress a response into, if it fits; false (nothing counted) if not. */
  boolean tryHoldUnparsed(long bytes) {
    if (!budget.tryAcquire(bytes)) {
      return false;
    }
    unparsed.addAndGet(bytes);
    return true;
  }

  /** The bytes a delivered response holds until it is parsed. */
  static long sizeOf(Envelope response) {
    return response == null ? 0 : response.payload().remaining();
  }

  /** A connection to pause and resume with the others; it reads until then. */
  void opened(ClientSession s) {
    synchronized (lock) {
      sessions.add(s);
      if (paused) {
        s.pauseReading(true);
      }
    }
    if (s.isClosed()) {
      sessions.remove(s); // closed meanwhile: its closed() may have come first
    }
  }

  void closed(ClientSession s) {
    sessions.remove(s);
  }

  private boolean shouldPause(boolean pausedNow) {
    long u = unparsed.get();
    return pausedNow ? u > 0 && !budget.relieved() : u > 0 && budget.exhausted();
  }

  /**
   * Pauses or resumes every connection as the counts say. After any change to them: a change that
   * races with a pause either sees {@code paused} set here or is seen by the re-check that follows
   * the pause, so no connection stays paused once the budget has room.
   */
  private void updateReading() {
    while (true) {
      boolean now = paused;
      if (shouldPause(now) == now) {
        return;
      }
      synchronized (lock) {
        now = paused;
        if (shouldPause(now) != now) {
          paused = !now;
          for (ClientSession s : sessions) {
            s.pauseReading(!now);
          }
        }
      }
    }
  }
}
