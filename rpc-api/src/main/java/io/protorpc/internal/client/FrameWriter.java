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

/**
 * The one writer of a client connection: requests, cancels and control frames are queued here
 * and written in order, in batches, by one task at a time on an I/O executor. Whoever queues —
 * a caller, the deadline timer, a reader — returns at once; only the I/O thread ever waits for a
 * peer that reads slowly.
 *
 * <p>Because a call's {@code REQUEST} is queued before the call can be cancelled on this
 * connection, its {@code CANCEL} always comes after it. A request whose call has already ended
 * when its turn comes is not written at all, and neither is its cancel.
 */
public final class FrameWriter {
  /** Most frames, and about the most payload bytes, one write gathers. */
  static final int MAX_BATCH_FRAMES = 64;
  static final int MAX_BATCH_BYTES = 256 * 1024;

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

  /** @param connection the place whose calls' requests this writer writes */
  public FrameWriter(Executor executor, Sink sink, ClientCall.Place connection) {
    this.executor = executor;
    this.sink = sink;
    this.connection = connection;
  }

  /** Queues a registered call's request. */
  public void request(ClientCall call, Envelope frame) {
    enqueue(new Entry(Kind.REQUEST, call, frame));
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
      try {
        executor.execute(this::drain);
      } catch (RejectedExecutionException closing) {
        // the client is closing: nothing more is written, but every one-way call still ends
        fail(new IOException("client closed"));
        drain();
      }
    }
  }

  private void fail(IOException cause) {
    if (broken == null) {
      broken = cause;
      sink.writeFailed(cause);
    }
  }

  /** Writes everything queued, batch by batch, until the queue stays empty. */
  private void drain() {
    List<Envelope> frames = new ArrayList<>();
    List<ClientCall> oneWays = new ArrayList<>();
    int missed = 1;
    while (true) {
      int bytes = 0;
      Entry e;
      while ((e = queue.poll()) != null) {
        switch (e.kind) {
          case REQUEST -> {
            if (e.call.isDone() || !e.call.isIn(connection)) {
              continue; // ended (or moved on) before its turn: the server need never see it
            }
            e.call.markRequestWritten(connection); // before the write, which may fail half-way
          }
          case ONE_WAY -> {
            if (e.call.isDone() || !e.call.isIn(connection)) {
              continue;
            }
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
          write(frames, oneWays);
          bytes = 0;
        }
      }
      write(frames, oneWays);
      missed = pending.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void write(List<Envelope> frames, List<ClientCall> oneWays) {
    if (frames.isEmpty()) {
      return;
    }
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
    for (ClientCall c : oneWays) {
      c.complete(failure == null ? Status.OK : Status.of(StatusCode.UNAVAILABLE,
          "sending the request failed: " + failure.getMessage()), null);
    }
    frames.clear();
    oneWays.clear();
  }
}
