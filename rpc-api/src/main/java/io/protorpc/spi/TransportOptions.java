package io.protorpc.spi;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Settings the core passes to a {@link Transport}. Immutable; build with {@link #builder()}.
 */
public final class TransportOptions {
  private final Duration connectTimeout;
  private final int ioThreads;
  private final int writeBufferBytes;
  private final SSLContext sslContext;
  private final boolean requireClientAuth;
  private final boolean verifyHostname;

  private TransportOptions(Builder b) {
    this.connectTimeout = b.connectTimeout;
    this.ioThreads = b.ioThreads;
    this.writeBufferBytes = b.writeBufferBytes;
    this.sslContext = b.sslContext;
    this.requireClientAuth = b.requireClientAuth;
    this.verifyHostname = b.verifyHostname;
  }

  /**
   * The TLS context, or null for plaintext. A client connects with TLS and a server accepts only
   * TLS when it is set. Transports that cannot do TLS must refuse options that carry one.
   */
  public SSLContext sslContext() {
    return sslContext;
  }

  /** Server side: whether a client must present a certificate the server's context trusts. */
  public boolean requireClientAuth() {
    return requireClientAuth;
  }

  /**
   * Client side: whether the server's certificate must match the host name or IP address
   * connected to (endpoint identification, as HTTPS does it). On by default with TLS.
   */
  public boolean verifyHostname() {
    return verifyHostname;
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.connectTimeout = connectTimeout;
    b.ioThreads = ioThreads;
    b.writeBufferBytes = writeBufferBytes;
    b.sslContext = sslContext;
    b.requireClientAuth = requireClientAuth;
    b.verifyHostname = verifyHostname;
    return b;
  }

  /** Defaults: 10 s connect timeout, transport's own thread count, 64 KiB write buffer. */
  public static TransportOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How long {@link Transport#connect} may take. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Event-loop / I/O thread count for transports that have such threads; 0 means the transport's default. */
  public int ioThreads() {
    return ioThreads;
  }

  /**
   * Outbound buffering per connection, in bytes: small writes are coalesced up to this size, and
   * transports with an outbound queue block writers once this much is pending.
   */
  public int writeBufferBytes() {
    return writeBufferBytes;
  }

  /** Builder; not thread-safe. */
  public static final class Builder {
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int ioThreads;
    private int writeBufferBytes = 64 * 1024;
    private SSLContext sslContext;
    private boolean requireClientAuth;
    private boolean verifyHostname = true;

    private Builder() {}

    /** Use TLS with this context (null: plaintext). */
    public Builder sslContext(SSLContext context) {
      this.sslContext = context;
      return this;
    }

    /** Server side: require a client certificate (mutual TLS). */
    public Builder requireClientAuth(boolean require) {
      this.requireClientAuth = require;
      return this;
    }

    /** Client side: check the server certificate against the address connected to (default on). */
    public Builder verifyHostname(boolean verify) {
      this.verifyHostname = verify;
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("connect timeout must be positive: " + timeout);
      }
      this.connectTimeout = timeout;
      return this;
    }

    public Builder ioThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("ioThreads must be >= 0: " + threads);
      }
      this.ioThreads = threads;
      return this;
    }

    public Builder writeBufferBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("writeBufferBytes must be >= 1024: " + bytes);
      }
      this.writeBufferBytes = bytes;
      return this;
    }

    public TransportOptions build() {
      return new TransportOptions(this);
    }
  }
}
