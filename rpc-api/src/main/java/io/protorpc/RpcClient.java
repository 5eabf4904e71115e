package io.protorpc;

import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcCallback;
import com.google.protobuf.RpcChannel;
import com.google.protobuf.RpcController;
import io.protorpc.spi.Codec;
import io.protorpc.spi.Compressor;
import io.protorpc.spi.Connection;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.Framing;
import io.protorpc.spi.LimitExceededException;
import io.protorpc.spi.Threads;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A connection to one server, usable as a protobuf {@link RpcChannel} (for generated {@code
 * Stub}s) and {@link BlockingRpcChannel} (for {@code BlockingStub}s):
 *
 * <pre>{@code
 * try (RpcClient client = RpcClient.builder().address("127.0.0.1", 9090).framing("length").connect()) {
 *   EchoService.BlockingInterface echo = EchoService.newBlockingStub(client);
 *   EchoResponse r = echo.echo(new ClientController(), request);
 * }
 * }</pre>
 *
 * <p>Many calls may be in flight at once on the one connection; responses are matched to calls by
 * call id, in whatever order they come. A call's outcome is reported through its {@link
 * ClientController} (pass one per call; other {@link RpcController}s get only {@code setFailed}).
 * Async callbacks run on the client's callback executor, never on the transport's reader.
 *
 * <p>If the connection is lost, every call in flight fails with {@code UNAVAILABLE}; the next call
 * connects again.
 *
 * <p>Thread-safe. Close it to release its connection and threads; calls still in flight then fail
 * with {@code UNAVAILABLE}.
 */
public final class RpcClient implements RpcChannel, BlockingRpcChannel, AutoCloseable {
  private final InetSocketAddress address;
  private final Transport transport;
  private final Framing framing;
  private final Codec codec;
  private final Compressor compressor;
  private final Map<String, Compressor> compressors;
  private final int compressionThreshold;
  private final Duration defaultTimeout;
  private final Limits limits;
  private final TransportOptions transportOptions;
  private final OwnedExecutor callbackExecutor;
  private final ScheduledThreadPoolExecutor timer;
  private final Object connectLock = new Object();
  private volatile ClientSession session;
  private volatile boolean closed;

  private RpcClient(Builder b) {
    this.address = Objects.requireNonNull(b.address, "address is required");
    this.transport = b.transport != null ? b.transport : PluginRegistry.defaultFor(Transport.class);
    this.framing = b.framing != null ? b.framing : PluginRegistry.find(Framing.class, "length");
    this.codec = b.codec != null ? b.codec : PluginRegistry.defaultFor(Codec.class);
    this.compressor =
        b.compressor != null ? b.compressor : PluginRegistry.find(Compressor.class, "identity");
    this.compressors = Map.of(compressor.name(), compressor);
    this.compressionThreshold = b.compressionThreshold;
    this.defaultTimeout = b.defaultTimeout;
    this.limits = b.limits;
    this.transportOptions = b.transportOptions;
    this.callbackExecutor = b.callbackExecutor != null
        ? OwnedExecutor.wrap(b.callbackExecutor)
        : OwnedExecutor.create("protorpc-client-callback", true);
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.daemon("protorpc-client-timer"));
    this.timer.setRemoveOnCancelPolicy(true);
  }

  /** A builder; every setting has a default except the address. */
  public static Builder builder() {
    return new Builder();
  }

  /** The server address this client talks to. */
  public InetSocketAddress address() {
    return address;
  }

  /** Name of the framing this client uses. */
  public String framingName() {
    return framing.name();
  }

  /** Name of the transport this client uses. */
  public String transportName() {
    return transport.name();
  }

  /** Name of the compressor this client uses for requests at or above the threshold. */
  public String compressorName() {
    return compressor.name();
  }

  /** Number of calls waiting for a response right now. */
  public int callsInFlight() {
    ClientSession s = session;
    return s == null ? 0 : s.callsInFlight();
  }

  /**
   * Starts a call; {@code done} runs exactly once on the callback executor, with the response, or
   * with null after {@code controller} has been marked failed.
   */
  @Override
  public void callMethod(MethodDescriptor method, RpcController controller, Message request,
      Message responsePrototype, RpcCallback<Message> done) {
    Objects.requireNonNull(done, "done");
    start(method, controller, request, (status, response) -> callbackExecutor.execute(() -> {
      Message m = finish(status, response, responsePrototype, controller);
      done.run(m);
    }));
  }

  /**
   * Makes a call and waits for its outcome. Interrupting the waiting thread cancels the call.
   *
   * @throws RpcException with the call's status if it failed (also recorded in {@code
   *     controller})
   */
  @Override
  public Message callBlockingMethod(MethodDescriptor method, RpcController controller,
      Message request, Message responsePrototype) throws RpcException {
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    start(method, controller, request,
        (status, response) -> outcome.complete(new Outcome(status, response)));
    Outcome o;
    try {
      o = outcome.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (controller != null) {
        controller.startCancel();
      }
      o = outcome.getNow(new Outcome(Status.of(StatusCode.CANCELLED, "interrupted"), null));
    } catch (ExecutionException e) {
      o = new Outcome(Status.of(StatusCode.INTERNAL, String.valueOf(e.getCause())), null);
    }
    Message m = finish(o.status, o.response, responsePrototype, controller);
    if (m == null) {
      throw new RpcException(lastStatus(controller, o.status));
    }
    return m;
  }

  private record Outcome(Status status, Envelope response) {}

  private static Status lastStatus(RpcController controller, Status fallback) {
    return controller instanceof ClientController cc && cc.failed() ? cc.status() : fallback;
  }

  private void start(MethodDescriptor method, RpcController controller, Message request,
      PendingCall.Listener listener) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(request, "request");
    ClientController cc = controller instanceof ClientController c ? c : null;
    ClientSession s;
    try {
      s = session();
    } catch (IOException e) {
      listener.onComplete(Status.of(StatusCode.UNAVAILABLE, e.getMessage()), null);
      return;
    }
    String service = method.getService().getFullName();
    Metadata metadata = cc == null ? Metadata.empty() : cc.requestMetadata().copy();
    int maxRequest = Math.min(limits.maxMessageSize(), s.maxRequestSize());
    int size = request.getSerializedSize();
    if (size > maxRequest) {
      listener.onComplete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request of " + size
          + " bytes exceeds the max message size of " + maxRequest + " bytes"), null);
      return;
    }
    int headerBytes = metadata.byteSize() + service.length() + method.getName().length();
    if (headerBytes > s.peerMaxHeaderSize() - HEADER_MARGIN) {
      listener.onComplete(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request metadata of "
          + headerBytes + " bytes exceeds the server's header limit of " + s.peerMaxHeaderSize()
          + " bytes"), null);
      return;
    }
    Session.Compressed payload;
    try {
      payload = Session.compress(s.compressor(), compressionThreshold,
          ByteBuffer.wrap(request.toByteArray()));
    } catch (IOException | RuntimeException e) {
      listener.onComplete(Status.of(StatusCode.INTERNAL, "compression failed: " + e), null);
      return;
    }
    Duration timeout = cc != null && cc.timeout() != null ? cc.timeout() : defaultTimeout;
    PendingCall call = s.register(listener);
    if (timeout != null) {
      call.setTimer(timer.schedule(() -> s.fail(call.id, Status.of(StatusCode.DEADLINE_EXCEEDED,
          "deadline of " + timeout.toMillis() + " ms exceeded"), true),
          timeout.toNanos(), TimeUnit.NANOSECONDS));
    }
    if (cc != null) {
      cc.begin(() -> s.fail(call.id, Status.of(StatusCode.CANCELLED, "cancelled by the client"),
          true));
    }
    long timeoutMicros = timeout == null ? 0 : Math.max(1, timeout.toNanos() / 1000);
    try {
      s.send(Envelope.request(call.id, service, method.getName(), timeoutMicros, metadata,
          payload.compression(), payload.payload()));
    } catch (IOException | RuntimeException e) {
      s.fail(call.id, Status.of(StatusCode.UNAVAILABLE, "sending the request failed: " + e),
          false);
    }
  }

  /** Room left in the header for the codec's own fields besides metadata and names. */
  static final int HEADER_MARGIN = 512;

  /** Turns an outcome into the response message (or null), recording it in the controller. */
  private Message finish(Status status, Envelope response, Message prototype,
      RpcController controller) {
    Message message = null;
    Metadata responseMetadata = response == null ? Metadata.empty() : response.metadata();
    if (status.isOk()) {
      try {
        ByteBuffer bytes = Session.decompress(limits, compressors, response.compression(),
            response.payload());
        message = prototype.getParserForType().parseFrom(bytes);
      } catch (LimitExceededException e) {
        status = Status.of(StatusCode.RESOURCE_EXHAUSTED, e.getMessage());
      } catch (InvalidProtocolBufferException e) {
        status = Status.of(StatusCode.INTERNAL, "response is not a valid "
            + prototype.getDescriptorForType().getFullName() + ": " + e.getMessage());
      } catch (IOException | RuntimeException e) {
        status = Status.of(StatusCode.INTERNAL, "cannot decode response: " + e);
      }
    }
    if (controller instanceof ClientController cc) {
      cc.complete(status, responseMetadata);
    } else if (controller != null && !status.isOk()) {
      controller.setFailed(status.toString());
    }
    return message;
  }

  /** The live session, connecting (again) if there is none. */
  private ClientSession session() throws IOException {
    ClientSession s = session;
    if (s != null && !s.isClosed()) {
      return s;
    }
    synchronized (connectLock) {
      if (closed) {
        throw new IOException("client is closed");
      }
      s = session;
      if (s == null || s.isClosed()) {
        s = open();
        session = s;
      }
      return s;
    }
  }

  private ClientSession open() throws IOException {
    ClientSession s = new ClientSession(limits, framing, codec, compressor);
    Connection c = transport.connect(address, transportOptions, s);
    s.connection = c;
    try {
      s.sendPreface();
      s.handshake.get(transportOptions.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
      return s;
    } catch (ExecutionException e) {
      c.close();
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
    } catch (TimeoutException e) {
      c.close();
      throw new IOException("no protorpc preface from " + address + " within "
          + transportOptions.connectTimeout().toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new IOException("interrupted while connecting to " + address);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * Closes the connection and releases the client's threads. Calls in flight fail with {@code
   * UNAVAILABLE}; their callbacks still run. Idempotent.
   */
  @Override
  public void close() {
    ClientSession s;
    synchronized (connectLock) {
      if (closed) {
        return;
      }
      closed = true;
      s = session;
    }
    if (s != null) {
      s.close();
      s.failAll(Status.of(StatusCode.UNAVAILABLE, "client closed"));
    }
    timer.shutdownNow();
    callbackExecutor.close();
  }

  /** Configures and connects an {@link RpcClient}. Not thread-safe. */
  public static final class Builder {
    private InetSocketAddress address;
    private Transport transport;
    private Framing framing;
    private Codec codec;
    private Compressor compressor;
    private int compressionThreshold = DEFAULT_COMPRESSION_THRESHOLD;
    private Duration defaultTimeout;
    private Limits limits = Limits.defaults();
    private TransportOptions transportOptions = TransportOptions.defaults();
    private Executor callbackExecutor;

    /** Payloads below this many bytes are sent uncompressed. */
    public static final int DEFAULT_COMPRESSION_THRESHOLD = 1024;

    private Builder() {}

    public Builder address(InetSocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    public Builder address(String host, int port) {
      return address(new InetSocketAddress(host, port));
    }

    /** The transport by name ({@code "socket"}, {@code "netty"}); default: the highest-priority installed. */
    public Builder transport(String name) {
      return transport(PluginRegistry.find(Transport.class, name));
    }

    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /** The framing by name ({@code "length"} (default) or {@code "delimiter"}). */
    public Builder framing(String name) {
      return framing(PluginRegistry.find(Framing.class, name));
    }

    public Builder framing(Framing framing) {
      this.framing = Objects.requireNonNull(framing, "framing");
      return this;
    }

    /** The codec by name; default: the highest-priority installed ({@code "protobuf"}). */
    public Builder codec(String name) {
      return codec(PluginRegistry.find(Codec.class, name));
    }

    public Builder codec(Codec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * The compressor for requests by name (default {@code "identity"}: none). Responses come back
     * compressed with the same one. The server must have it, or connecting fails.
     */
    public Builder compressor(String name) {
      return compressor(PluginRegistry.find(Compressor.class, name));
    }

    public Builder compressor(Compressor compressor) {
      this.compressor = Objects.requireNonNull(compressor, "compressor");
      return this;
    }

    /** Only payloads of at least this many bytes are compressed (default 1024). */
    public Builder compressionThreshold(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("compressionThreshold must be >= 0");
      }
      this.compressionThreshold = bytes;
      return this;
    }

    /** Timeout for calls whose controller sets none; default none. */
    public Builder defaultTimeout(Duration timeout) {
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.defaultTimeout = timeout;
      return this;
    }

    /** Largest message (request or response payload) in bytes; default 4 MiB. */
    public Builder maxMessageSize(int bytes) {
      this.limits = limits.withMaxMessageSize(bytes);
      return this;
    }

    /** Largest call header (metadata included) in bytes; default 64 KiB. */
    public Builder maxHeaderSize(int bytes) {
      this.limits = limits.withMaxHeaderSize(bytes);
      return this;
    }

    public Builder transportOptions(TransportOptions options) {
      this.transportOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Where async callbacks run; default: a virtual thread per callback on JDK 21+, else a
     * bounded pool. The client does not shut down an executor given here.
     */
    public Builder callbackExecutor(Executor executor) {
      this.callbackExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Connects and completes the handshake.
     *
     * @throws IOException if the server cannot be reached or refuses the connection (for
     *     instance a framing or compressor it does not have; the message says which)
     * @throws PluginNotFoundException if no transport or codec is installed
     */
    public RpcClient connect() throws IOException {
      RpcClient client = new RpcClient(this);
      try {
        client.session();
        return client;
      } catch (IOException | RuntimeException e) {
        client.close();
        throw e;
      }
    }
  }
}
