package io.protorpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.UnsafeByteOperations;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.ProtocolException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection as the core sees it, for either role: the preface, then frames decoded by the
 * chosen framing and codec and handed to the role as envelopes. Inbound methods run on the
 * transport's reader (one at a time); {@link #send} may be called from any thread.
 */
abstract class Session implements ConnectionHandler {
  final Limits limits;
  volatile Connection connection;
  private final Preface.Decoder prefaceDecoder = new Preface.Decoder();
  private FrameDecoder frameDecoder;
  // Bytes of unfinished frames, as the reader sees them (reader thread only; see accountPartial):
  // what arrived of them, and what is counted (that, or the decoder's buffer if larger).
  private long partialArrived;
  private long partialBytes;
  private long frameBytesThisRead;
  private boolean frameEndedThisRead;
  volatile Framing framing;
  volatile Codec codec;
  private volatile boolean closed;
  private volatile long lastReadNanos = System.nanoTime();
  private volatile long lastCallActivityNanos = System.nanoTime();
  private volatile long pingSentNanos; // 0: no ping outstanding since the last read
  private final long createdNanos = System.nanoTime();
  private final AtomicInteger writersInProgress =
      new AtomicInteger();
  private volatile long lastWriteProgressNanos = System.nanoTime();
  private volatile Future<?> keepAliveTask;

  Session(Limits limits) {
    this.limits = limits;
  }

  /** Number of calls in flight on this connection. */
  abstract int activeCalls();

  /** Why a connection is closed by its liveness checks. */
  enum LivenessFailure {
    /** No call for the idle timeout: close politely. */
    IDLE,
    /** The peer stopped answering, stopped reading, or never finished its handshake. */
    UNRESPONSIVE
  }

  /** A liveness check failed; close the connection saying why. Called on a timer thread. */
  abstract void onLivenessTimeout(LivenessFailure failure, Status status);

  /** A call started or finished: the connection is not idle. */
  final void touchCalls() {
    lastCallActivityNanos = System.nanoTime();
  }

  /** Starts the periodic liveness checks of this session on {@code timer}. */
  final void startLivenessChecks(Liveness liveness, ScheduledExecutorService timer,
      Executor pingExecutor) {
    long period = liveness.checkPeriodNanos();
    if (period == 0) {
      return;
    }
    try {
      keepAliveTask = timer.scheduleWithFixedDelay(() -> checkLivenessOrClose(liveness,
          pingExecutor), period, period, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      close(); // the owner is shutting down
    }
  }

  /**
   * A failing check would silently end this connection's periodic task (and with it every later
   * check), so any Throwable closes the connection instead; the timer thread goes on.
   */
  private void checkLivenessOrClose(Liveness k, Executor pingExecutor) {
    try {
      checkLiveness(k, pingExecutor);
    } catch (Throwable t) {
      stopKeepAlive();
      close();
    }
  }

  private void checkLiveness(Liveness k, Executor pingExecutor) {
    if (isClosed()) {
      stopKeepAlive();
      return;
    }
    long now = System.nanoTime();
    long silent = now - lastReadNanos;
    if (k.handshakeTimeoutNanos() > 0 && !framesStarted()
        && now - createdNanos >= k.handshakeTimeoutNanos()) {
      fail(LivenessFailure.UNRESPONSIVE, "no complete preface from " + peer() + " within "
          + k.handshakeTimeoutNanos() / 1_000_000 + " ms");
      return;
    }
    if (k.writeTimeoutNanos() > 0 && writersInProgress.get() > 0
        && now - lastWriteProgressNanos >= k.writeTimeoutNanos()) {
      fail(LivenessFailure.UNRESPONSIVE, peer() + " stopped reading: a write made no progress for "
          + (now - lastWriteProgressNanos) / 1_000_000 + " ms");
      return;
    }
    if (k.keepAliveTimeNanos() > 0 && pingSentNanos != 0
        && now - pingSentNanos >= k.keepAliveTimeoutNanos()) {
      fail(LivenessFailure.UNRESPONSIVE, "keepalive: no data from " + peer() + " for "
          + silent / 1_000_000 + " ms");
      return;
    }
    if (k.keepAliveTimeNanos() > 0 && pingSentNanos == 0 && silent >= k.keepAliveTimeNanos()
        && framesStarted()) {
      pingSentNanos = now;
      // on another thread: a write may block on a peer that stopped reading, and this timer
      // thread serves every connection
      pingExecutor.execute(() -> sendQuietly(Envelope.control(Envelope.Kind.PING, 0, null,
          ByteBuffer.allocate(8).putLong(0, now))));
    }
    if (k.idleTimeoutNanos() > 0 && activeCalls() == 0
        && now - lastCallActivityNanos >= k.idleTimeoutNanos()) {
      long idleMillis = (now - lastCallActivityNanos) / 1_000_000;
      touchCalls(); // the role may keep the connection a while longer; count afresh from here
      onLivenessTimeout(LivenessFailure.IDLE, Status.of(StatusCode.UNAVAILABLE,
          "connection idle for " + idleMillis + " ms"));
    }
  }

  private void fail(LivenessFailure failure, String message) {
    stopKeepAlive();
    onLivenessTimeout(failure, Status.of(StatusCode.UNAVAILABLE, message));
  }

  private String peer() {
    Connection c = connection;
    return c == null ? "peer" : String.valueOf(c.remoteAddress());
  }

  final void stopKeepAlive() {
    Future<?> t = keepAliveTask;
    if (t != null) {
      t.cancel(false);
    }
  }

  /** The preface arrived; the role validates it and calls {@link #startFrames} if it accepts. */
  abstract void onPreface(Map<String, String> fields) throws ProtocolException;

  /** One decoded envelope. */
  abstract void onEnvelope(Envelope envelope) throws ProtocolException;

  /** The input broke the protocol; the connection is closed after this. */
  abstract void onProtocolError(ProtocolException error);

  /** The connection is gone; called once. */
  abstract void onConnectionClosed(Throwable cause);

  /**
   * The bytes this connection holds in unfinished frames changed by {@code delta} (negative:
   * fewer). Called on the reader; the server counts them against its memory budget.
   */
  void onPartialFrameBytes(long delta) {}

  final void startFrames(Framing framing, Codec codec) {
    this.framing = framing;
    this.codec = codec;
    this.frameDecoder = framing.newDecoder(limits.maxFrameSize());
  }

  final boolean framesStarted() {
    return frameDecoder != null;
  }

  @Override
  public final void onRead(ByteBuffer data) {
    if (!readArrived()) {
      data.position(data.limit());
      return;
    }
    try {
      if (frameDecoder == null) {
        Map<String, String> preface = prefaceDecoder.decode(data);
        if (preface == null) {
          return;
        }
        onPreface(preface);
        if (frameDecoder == null) {
          data.position(data.limit()); // refused: the rest is not ours to read
          return;
        }
      }
      int bytes = data.remaining();
      frameDecoder.decode(data, this::onFrame);
      accountPartial(bytes);
    } catch (ProtocolException e) {
      fail(e);
    } catch (UncheckedProtocolException e) {
      fail(e.getCause());
    }
  }

  /**
   * Only frames with this much still to come are read straight into their buffer: below it, the
   * transport's own read buffer costs no more.
   */
  static final int DIRECT_READ_MIN_BYTES = 64 * 1024;

  @Override
  public final ByteBuffer readTarget() {
    FrameDecoder d = frameDecoder;
    return closed || d == null ? null : d.readTarget(DIRECT_READ_MIN_BYTES);
  }

  @Override
  public final void onReadInto(int bytes) {
    if (!readArrived()) {
      return;
    }
    try {
      frameDecoder.readInto(bytes, this::onFrame);
      accountPartial(bytes);
    } catch (ProtocolException e) {
      fail(e);
    } catch (UncheckedProtocolException e) {
      fail(e.getCause());
    }
  }

  /**
   * Bytes arrived, by either read path: the peer is alive. False once the session is closed, when
   * they are no longer read.
   */
  private boolean readArrived() {
    lastReadNanos = System.nanoTime();
    pingSentNanos = 0;
    return !closed;
  }

  /**
   * After {@code bytes} went to the frame decoder: what it now holds of an unfinished frame. Bytes
   * that ended a frame in this read are no longer partial; the framing's own overhead is counted
   * as partial until a frame ends, so the figure errs high, never low.
   */
  private void accountPartial(int bytes) {
    long before = partialBytes;
    long arrived = !frameDecoder.hasPartialFrame() ? 0
        : frameEndedThisRead ? Math.max(0, bytes - frameBytesThisRead) : partialArrived + bytes;
    partialArrived = arrived;
    // A decoder may size its buffer ahead of the bytes (length framing: up to 8x): count that.
    // The larger of the two, never their sum: adding new bytes to a count that had already taken
    // the buffer's size counted the frame up to twice (a server with a budget under eight
    // frames then paused a connection holding one frame, and never let it read again).
    long after = arrived > 0 ? Math.max(arrived, frameDecoder.bufferedCapacity()) : 0;
    frameEndedThisRead = false;
    frameBytesThisRead = 0;
    partialBytes = after;
    if (after != before) {
      onPartialFrameBytes(after - before);
    }
  }

  private void onFrame(ByteBuffer frame) {
    frameEndedThisRead = true;
    frameBytesThisRead += frame.remaining();
    // The frame's bytes are its call's now, counted as such when it is dispatched: stop counting
    // them as partial first, so that they are never counted twice and a handler that runs at once
    // finds the count settled (accountPartial then counts only what follows the frame).
    releasePartial();
    if (closed) {
      return;
    }
    try {
      onEnvelope(codec.decode(frame, limits.maxHeaderSize()));
    } catch (ProtocolException e) {
      throw new UncheckedProtocolException(e);
    }
  }

  private void fail(ProtocolException e) {
    if (!closed) {
      onProtocolError(e);
      close();
    }
  }

  @Override
  public final void onClosed(Throwable cause) {
    closed = true;
    stopKeepAlive();
    releasePartial(); // on the reader too: the transport calls onClosed there
    onConnectionClosed(cause);
  }

  /** Stops counting bytes as an unfinished frame's (reader thread only). */
  private void releasePartial() {
    if (partialBytes != 0) {
      onPartialFrameBytes(-partialBytes);
      partialBytes = 0;
      partialArrived = 0;
    }
  }

  /** Encodes and writes one envelope. */
  final void send(Envelope envelope) throws IOException {
    Connection c = connection;
    if (c == null || closed) {
      throw new IOException("connection closed");
    }
    write(c, framing.encode(codec.encode(envelope)));
  }

  /** Encodes several envelopes and writes them as one write: one syscall where the transport can. */
  final void sendAll(java.util.List<Envelope> envelopes) throws IOException {
    Connection c = connection;
    if (c == null || closed) {
      throw new IOException("connection closed");
    }
    ByteBuffer[][] parts = new ByteBuffer[envelopes.size()][];
    int count = 0;
    for (int i = 0; i < parts.length; i++) {
      parts[i] = framing.encode(codec.encode(envelopes.get(i)));
      count += parts[i].length;
    }
    ByteBuffer[] all = new ByteBuffer[count];
    int at = 0;
    for (ByteBuffer[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    write(c, all);
  }

  /** Writes, keeping track of writes in progress for the write timeout. */
  private void write(Connection c, ByteBuffer... buffers) throws IOException {
    if (writersInProgress.getAndIncrement() == 0) {
      lastWriteProgressNanos = System.nanoTime();
    }
    try {
      c.write(buffers);
    } finally {
      lastWriteProgressNanos = System.nanoTime();
      writersInProgress.decrementAndGet();
    }
  }

  /** Like {@link #send} for messages whose loss the connection's closing already reports. */
  final void sendQuietly(Envelope envelope) {
    try {
      send(envelope);
    } catch (IOException | RuntimeException e) {
      // The transport closes a connection whose write failed, and onClosed reports it.
    }
  }

  final void writePreface(Map<String, String> fields) throws IOException {
    write(connection, Preface.encode(fields));
  }

  final boolean isClosed() {
    return closed || connection == null || !connection.isOpen();
  }

  void close() {
    closed = true;
    Connection c = connection;
    if (c != null) {
      c.close();
    }
  }

  /** The status a protocol error maps to. */
  static Status statusOf(ProtocolException e) {
    return Status.of(e instanceof LimitExceededException ? StatusCode.RESOURCE_EXHAUSTED
        : StatusCode.INTERNAL, e.getMessage());
  }

  /** Compresses {@code payload} when that pays: at or above the threshold and actually smaller. */
  static Compressed compress(Compressor compressor, int threshold, ByteBuffer payload)
      throws IOException {
    if (compressor == null || payload.remaining() < threshold
        || compressor.name().equals("identity")) {
      return new Compressed("", payload);
    }
    ByteBuffer out = compressor.compress(payload);
    return out.remaining() < payload.remaining()
        ? new Compressed(compressor.name(), out) : new Compressed("", payload);
  }

  /** A payload and the name of the compressor that produced it ("" for none). */
  record Compressed(String compression, ByteBuffer payload) {}

  /** Undoes {@link #compress}, bounded by the max message size. */
  static ByteBuffer decompress(Limits limits, Map<String, Compressor> compressors,
      String compression, ByteBuffer payload) throws IOException {
    if (compression.isEmpty() || compression.equals("identity")) {
      if (payload.remaining() > limits.maxMessageSize()) {
        throw new LimitExceededException("message of " + payload.remaining()
            + " bytes exceeds the limit of " + limits.maxMessageSize() + " bytes");
      }
      return payload;
    }
    Compressor c = compressors.get(compression);
    if (c == null) {
      throw new ProtocolException("message compressed with '" + compression
          + "', which this side did not agree to (has: " + compressors.keySet() + ")");
    }
    return c.decompress(payload, limits.maxMessageSize());
  }

  /**
   * Parses a message from a payload without copying its bytes fields: they alias the payload.
   * Safe because a payload buffer is never reused — frame decoders hand each frame over for good
   * (the FrameDecoder contract) and decompression makes a fresh buffer — and it spares one copy
   * of every large message.
   */
  static Message parse(Message prototype, ByteBuffer payload)
      throws InvalidProtocolBufferException {
    // unsafeWrap marks the bytes immutable, without which protobuf copies despite aliasing
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(payload.slice()).newCodedInput();
    in.enableAliasing(true);
    Message m = prototype.getParserForType().parseFrom(in);
    in.checkLastTagWas(0);
    return m;
  }

  /** Carries a checked protocol error out of a {@code Consumer}. */
  private static final class UncheckedProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UncheckedProtocolException(ProtocolException cause) {
      super(cause);
    }

    @Override
    public synchronized ProtocolException getCause() {
      return (ProtocolException) super.getCause();
    }
  }
}
