package io.protorpc.internal.client;

import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one writer of a client connection: requests, cancels and control frames are queued here
 * and written in order, in batches, by one task at a time on an I/O executor. Whoever queues —
 * a caller, the deadline timer, a reader — returns at once; only the I/O thread ever waits for a
 * peer that reads slowly.
 *
 * <p>Because a call's {@code REQUEST} is queued before the call can be cancelled on this
 * connection, its {@code CANCEL} always comes after it. A request whose call has already ended
 * when its turn comes is not written at all, and neither is its cancel.
 *
 * <p>One exception to "only the I/O thread writes", which saves the hand-off to it on a
 * latency-bound call: a small request queued while the writer is idle and the peer has proven it
 * read every frame written before (it answered the last of them) is written on the caller's
 * thread. Such a write cannot wait for the peer: nothing of ours is left in the network's
 * buffers, and the request is far smaller than them.
 */
public final class FrameWriter {
  /** Most frames, and about the most payload bytes, one write gathers. */
  static final int MAX_BATCH_FRAMES = 64;
  static final int MAX_BATCH_BYTES = 256 * 1024;
  /** Largest request payload written on the caller's thread (see the class comment). */
  static final int WRITE_HERE_MAX_BYTES = 8 * 1024;

  /** Where the frames go: the connection. */
  public interface Sink {
    /** Encodes and writes the frames as one write; may block. */
    void write(List<Envelope> frames) throws IOException;

    /** A write failed (the connection is broken) or there is no thread to write on. */
    void writeFailed(IOException cause);
  }

  private enum Kind { REQUEST, ONE_WAY, CANCEL, CONTROL }

  private record Entry(Kind kind, ClientCall call, Envelope frame) {}

  private final Executor executor;
  private final Sink sink;
  private final ClientCall.Place connection;
  private final Queue<Entry> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private volatile IOException broken; // set once; from then on nothing is written
  /** Frames handed to the sink so far; written by the one drainer, read when a drain starts. */
  private volatile long framesWritten;
  /** The highest frame number the peer has shown it read, by answering the request in it. */
  private final AtomicLong framesRead = new AtomicLong();

  /** @param connection the place whose calls' requests this writer writes */
  public FrameWriter(Executor executor, Sink sink, ClientCall.Place connection) {
    this.executor = executor;
    this.sink = sink;
    this.connection = connection;
  }

  /**
   * Queues a registered call's request; writes it at once on this thread when it is small, the
   * writer idle and every frame written before proven read (see the class comment).
   */
  public void request(ClientCall call, Envelope frame) {
    Entry e = new Entry(Kind.REQUEST, call, frame);
    queue.add(e);
    if (pending.getAndIncrement() == 0) {
      // this thread holds the drain now: nobody else writes, so the counts below are still
      if (queue.peek() == e && broken == null && framesRead.get() == framesWritten
          && (frame.payload() == null || frame.payload().remaining() <= WRITE_HERE_MAX_BYTES)) {
        drain(true);
      } else {
        startDrain();
      }
    }
  }

  /**
   * The peer answered {@code call}, whose request was written here: it has read that frame and
   * every frame before it.
   */
  public void answered(ClientCall call) {
    if (call.requestWrittenOn(connection)) {
      framesRead.accumulateAndGet(call.requestFrameNumber(), Math::max);
    }
  }

  /** Queues a one-way call's request; the call completes once it is written (or fails). */
  public void oneWay(ClientCall call, Envelope frame) {
    enqueue(new Entry(Kind.ONE_WAY, call, frame));
  }

  /** Queues a cancel for a call whose request was queued here before. */
  public void cancel(ClientCall call, Envelope frame) {
    enqueue(new Entry(Kind.CANCEL, call, frame));
  }

  /** Queues a control frame (ping, pong). */
  public void control(Envelope frame) {
    enqueue(new Entry(Kind.CONTROL, null, frame));
  }

  private void enqueue(Entry e) {
    queue.add(e);
    if (pending.getAndIncrement() == 0) {
      startDrain();
    }
  }

  private void startDrain() {
    try {
      executor.execute(() -> drain(false));
    } catch (RejectedExecutionException closing) {
      // the client is closing: nothing more is written, but every one-way call still ends
      fail(new IOException("client closed"));
      drain(false);
    }
  }

  private void fail(IOException cause) {
    if (broken == null) {
      broken = cause;
      sink.writeFailed(cause);
    }
  }

  /**
   * Writes everything queued, batch by batch, until the queue stays empty. {@code here}: on a
   * caller's thread, which writes only the first entry (its own) and leaves the rest, possibly
   * large, to the I/O executor.
   */
  private void drain(boolean here) {
    List<Envelope> frames = new ArrayList<>(here ? 1 : 16);
    List<ClientCall> oneWays = new ArrayList<>(0);
    List<ClientCall> writing = new ArrayList<>(here ? 1 : 16); // holding their payloads
    int missed = 1;
    int polled = 0;
    while (true) {
      int bytes = 0;
      Entry e;
      while ((!here || polled++ == 0) && (e = queue.poll()) != null) {
        switch (e.kind) {
          case REQUEST -> {
            if (e.call.isDone() || !e.call.isIn(connection) || !e.call.holdPayload()) {
              continue; // ended (or moved on) before its turn: the server need never see it
            }
            writing.add(e.call);
            // before the write, which may fail half-way
            e.call.markRequestWritten(connection, framesWritten + frames.size() + 1);
          }
          case ONE_WAY -> {
            if (e.call.isDone() || !e.call.isIn(connection) || !e.call.holdPayload()) {
              continue;
            }
            writing.add(e.call);
            oneWays.add(e.call);
          }
          case CANCEL -> {
            if (!e.call.requestWrittenOn(connection)) {
              continue; // its request was never written here
            }
          }
          case CONTROL -> { }
        }
        frames.add(e.frame);
        bytes += e.frame.payload() == null ? 0 : e.frame.payload().remaining();
        if (frames.size() >= MAX_BATCH_FRAMES || bytes >= MAX_BATCH_BYTES) {
          write(frames, writing, oneWays);
          bytes = 0;
        }
      }
      write(frames, writing, oneWays);
      missed = pending.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
      if (here) {
        startDrain(); // others queued meanwhile: theirs is the I/O thread's to write
        return;
      }
    }
  }

  private void write(List<Envelope> frames, List<ClientCall> writing, List<ClientCall> oneWays) {
    if (frames.isEmpty()) {
      return;
    }
    framesWritten += frames.size(); // the drainer's alone
    IOException failure = broken;
    if (failure == null) {
      try {
        sink.write(frames);
      } catch (IOException ex) {
        failure = ex;
      } catch (RuntimeException ex) {
        failure = new IOException(ex.toString(), ex);
      }
      if (failure != null) {
        fail(failure);
      }
    }
    for (ClientCall c : writing) {
      c.releasePayload(); // the transport is done with it
    }
    for (ClientCall c : oneWays) {
      c.complete(failure == null ? Status.OK : Status.of(StatusCode.UNAVAILABLE,
          "sending the request failed: " + failure.getMessage()), null);
    }
    frames.clear();
    writing.clear();
    oneWays.clear();
  }
}
