package io.protorpc;

import io.protorpc.internal.client.ClientConnection;
import io.protorpc.internal.client.Clock;
import io.protorpc.internal.client.Connector;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Framing;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Makes a {@link ClientSession} over the client's transport: connect (TCP and TLS), then the
 * preface exchange, all within the attempt's deadline. Runs on the connector executor.
 */
final class SessionConnector implements Connector {
  /** How long a failed preface write waits for the reader to report the real cause. */
  private static final long PREFACE_FAILURE_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final Transport transport;
  private final TransportOptions options;
  private final Limits limits;
  private final Framing framing;
  private final Codec codec;
  private final Compressor compressor;
  private final Liveness liveness;
  private final Clock clock;
  private final ScheduledExecutorService livenessTimer;
  private final Executor io;
  private final ClientMemory memory;

  SessionConnector(Transport transport, TransportOptions options, Limits limits, Framing framing,
      Codec codec, Compressor compressor, Liveness liveness, Clock clock,
      ScheduledExecutorService livenessTimer, Executor io, ClientMemory memory) {
    this.memory = memory;
    this.transport = transport;
    this.options = options;
    this.limits = limits;
    this.framing = framing;
    this.codec = codec;
    this.compressor = compressor;
    this.liveness = liveness;
    this.clock = clock;
    this.livenessTimer = livenessTimer;
    this.io = io;
  }

  @Override
  public ClientConnection connect(SocketAddress address, Attempt attempt,
      ClientConnection.Listener listener) throws IOException {
    ClientSession s = new ClientSession(limits, framing, codec, compressor, io, listener, memory);
    attempt.phase(options.sslContext() == null ? "TCP connect pending" : "TCP/TLS connect pending");
    Connection c;
    try {
      c = transport.connect(address, withTimeout(remaining(attempt, address)), s);
    } catch (ConnectException e) {
      ConnectException named = new ConnectException("cannot connect to " + address + ": "
          + e.getMessage());
      named.initCause(e);
      throw named;
    } catch (IOException | RuntimeException e) {
      // a transport's runtime failure (no file descriptors left, say) ends the attempt too
      throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
    }
    s.connection = c;
    attempt.phase("handshake pending: waiting for the server's preface");
    try {
      try {
        s.sendPreface();
      } catch (IOException writeFailed) {
        // The reader usually knows why the write failed (a TLS alert, a refusal): prefer that.
        try {
          s.handshake.get(PREFACE_FAILURE_GRACE_NANOS, TimeUnit.NANOSECONDS);
        } catch (TimeoutException noBetterReason) {
          throw writeFailed;
        }
      }
      CompletableFuture.anyOf(s.handshake, attempt.cancelled())
          .get(remaining(attempt, address), TimeUnit.NANOSECONDS);
      if (!s.handshake.isDone()) {
        throw new IOException("connecting to " + address + " was cancelled: client closed");
      }
      s.handshake.get(); // rethrows its failure
      s.startLivenessChecks(liveness, livenessTimer, io);
      memory.opened(s);
      return s;
    } catch (ExecutionException e) {
      c.close();
      Throwable cause = e.getCause();
      if (cause instanceof Preface.TlsRecordException) {
        throw new IOException("server at " + address + " speaks TLS: it answered this plaintext"
            + " connection with a TLS record (connect with RpcClient.Builder.tls(...))", cause);
      }
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    } catch (TimeoutException e) {
      c.close();
      throw new IOException("no protorpc preface from " + address + " within "
          + options.connectTimeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new IOException("interrupted while connecting to " + address);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private long remaining(Attempt attempt, SocketAddress address) throws IOException {
    long left = attempt.deadlineNanos() - clock.nanoTime();
    if (left <= 0) {
      throw new IOException("connecting to " + address + " took longer than "
          + options.connectTimeout().toMillis() + " ms");
    }
    return left;
  }

  /** The options with the connect timeout cut to what is left of the attempt. */
  private TransportOptions withTimeout(long nanos) {
    Duration left = Duration.ofNanos(nanos);
    return left.compareTo(options.connectTimeout()) >= 0
        ? options : options.toBuilder().connectTimeout(left).build();
  }
}
