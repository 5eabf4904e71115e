package io.protorpc.transport.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.protorpc.spi.MessageOptions;
import io.protorpc.spi.Threads;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * One connection to the broker that comes back by itself: when the broker goes away (restart,
 * network drop, a channel error), the role is told at once ({@link #onDisconnected}) and a
 * reconnect is tried after a jittered, growing delay (100 ms to 2 s) until {@link #close()}. Each
 * new connection is set up again by {@link #onConnected} (declarations, consumers).
 *
 * <p>amqp-client's own automatic recovery is off: it would replay declarations and consumers but
 * not this transport's state (confirms in flight, the reply path), and recovering quietly is the
 * opposite of what a caller waiting for a reply needs to know.
 */
abstract class BrokerLink implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BrokerLink.class.getName());
  private static final long MIN_DELAY_MILLIS = 100;
  private static final long MAX_DELAY_MILLIS = 2_000;
  /**
   * amqp-client closes the whole connection when a message body exceeds its inbound limit, and
   * the unsettled message would come back forever. So the client's limit is RabbitMQ's hard
   * maximum, the broker's {@code max_message_size} bounds what arrives, and the core rejects a
   * body above its own limit.
   */
  private static final int INBOUND_BODY_LIMIT = 512 * 1024 * 1024;

  final AmqpTarget target;
  private final ConnectionFactory factory;
  private final ScheduledThreadPoolExecutor reconnector;
  private volatile Connection connection;
  private volatile boolean closed;
  private int failedAttempts; // reconnector thread only

  BrokerLink(AmqpTarget target, MessageOptions options, Consumer<ConnectionFactory> customizer,
      String role) {
    this.target = target;
    this.factory = factory(target, options, customizer);
    this.reconnector = new ScheduledThreadPoolExecutor(1,
        Threads.daemon("protorpc-amqp-" + role + "-reconnect"));
    this.reconnector.setRemoveOnCancelPolicy(true);
    this.factory.setThreadFactory(Threads.daemon("protorpc-amqp-" + role));
  }

  private static ConnectionFactory factory(AmqpTarget t, MessageOptions options,
      Consumer<ConnectionFactory> customizer) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(t.host());
    f.setPort(t.port());
    f.setUsername(t.username());
    f.setPassword(t.password());
    f.setVirtualHost(t.virtualHost());
    f.setRequestedHeartbeat((int) t.heartbeat().toSeconds());
    int timeout = (int) Math.min(Integer.MAX_VALUE, options.transport().connectTimeout().toMillis());
    f.setConnectionTimeout(timeout);
    f.setHandshakeTimeout(timeout);
    f.setShutdownTimeout(2_000);
    f.setAutomaticRecoveryEnabled(false);
    f.setTopologyRecoveryEnabled(false);
    f.setMaxInboundMessageBodySize(INBOUND_BODY_LIMIT);
    SSLContext ssl = options.transport().sslContext();
    if (t.tls() || ssl != null) {
      try {
        f.useSslProtocol(ssl != null ? ssl : SSLContext.getDefault());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("no default TLS context: " + e.getMessage(), e);
      }
      if (options.transport().verifyHostname()) {
        f.enableHostnameVerification();
      }
    }
    if (customizer != null) {
      customizer.accept(f);
    }
    return f;
  }

  /** Connects for the first time; a failure here is the caller's, not retried. */
  final void open() throws IOException {
    connectOnce();
  }

  /** Sets up a fresh connection: channels, declarations, consumers. */
  abstract void onConnected(Connection connection) throws IOException;

  /**
   * The connection is gone (called once per connection, on an amqp-client thread or the
   * reconnector); {@code reason} says why. A reconnect follows unless the link is closed.
   */
  abstract void onDisconnected(String reason);

  final Connection connection() {
    return connection;
  }

  public final boolean isConnected() {
    Connection c = connection;
    return c != null && c.isOpen();
  }

  final boolean isClosed() {
    return closed;
  }

  private void connectOnce() throws IOException {
    Connection c;
    try {
      c = factory.newConnection("protorpc " + target.topic());
    } catch (TimeoutException e) {
      throw new IOException("cannot reach the broker at " + target.describe() + ": " + e, e);
    } catch (IOException e) {
      throw new IOException("cannot reach the broker at " + target.describe() + ": "
          + rootMessage(e), e);
    }
    try {
      onConnected(c);
    } catch (IOException | RuntimeException e) {
      closeQuietly(c);
      throw new IOException("broker at " + target.describe() + " refused the setup: "
          + rootMessage(e), e);
    }
    connection = c;
    c.addShutdownListener(cause -> lost(c, cause));
    if (!c.isOpen() || closed) {
      lost(c, c.getCloseReason());
    }
  }

  /**
   * Something on this connection failed: a channel error is as fatal as losing the connection,
   * since a closed channel cannot be reopened under the role's feet.
   */
  final void channelFailed(Channel channel, ShutdownSignalException cause) {
    Connection c = channel.getConnection();
    if (cause != null && cause.isInitiatedByApplication()) {
      return;
    }
    // not on this thread: a listener runs on amqp-client's connection thread, and closing the
    // connection waits for a reply only that thread can read
    try {
      reconnector.execute(() -> {
        closeQuietly(c);
        lost(c, cause);
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      c.abort(1_000);
    }
  }

  private void lost(Connection c, ShutdownSignalException cause) {
    synchronized (this) {
      if (connection != c) {
        return; // already handled
      }
      connection = null;
    }
    closeQuietly(c);
    onDisconnected(cause == null ? "connection closed" : describe(cause));
    if (!closed) {
      scheduleReconnect();
    }
  }

  private void scheduleReconnect() {
    long base = Math.min(MAX_DELAY_MILLIS,
        (long) (MIN_DELAY_MILLIS * Math.pow(1.6, Math.min(failedAttempts, 20))));
    long delay = (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
    try {
      reconnector.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  private void reconnect() {
    if (closed || connection != null) {
      return;
    }
    try {
      connectOnce();
      failedAttempts = 0;
      LOG.log(System.Logger.Level.INFO, "reconnected to " + target.describe());
    } catch (IOException e) {
      failedAttempts++;
      LOG.log(System.Logger.Level.DEBUG, "reconnecting failed: " + e.getMessage());
      scheduleReconnect();
    }
  }

  @Override
  public void close() {
    closed = true;
    reconnector.shutdownNow();
    Connection c;
    synchronized (this) {
      c = connection;
      connection = null;
    }
    if (c != null) {
      closeQuietly(c);
      onDisconnected("closed");
    }
  }

  static void closeQuietly(Connection c) {
    try {
      if (c.isOpen()) {
        c.close(2_000);
      }
    } catch (IOException | RuntimeException e) {
      c.abort(1_000);
    }
  }

  static String describe(ShutdownSignalException e) {
    Object reason = e.getReason();
    String text = reason instanceof com.rabbitmq.client.Method m
        ? m.protocolMethodName() + " " + m : rootMessage(e);
    if (reason instanceof com.rabbitmq.client.AMQP.Connection.Close close) {
      text = close.getReplyText();
    } else if (reason instanceof com.rabbitmq.client.AMQP.Channel.Close close) {
      text = close.getReplyText();
    }
    return (e.isHardError() ? "connection" : "channel") + " closed: " + text;
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null ? root.getClass().getSimpleName() : m;
  }
}
