package io.protorpc.examples;

import io.protorpc.spi.Connection;
import io.protorpc.spi.ConnectionHandler;
import io.protorpc.spi.Listener;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Transport} that passes everything to another one and counts the bytes: what each
 * connection writes and what it reads, and the totals over every connection it made or accepted.
 * The counts are of the bytes the core hands to the transport and gets from it, i.e. everything
 * protorpc puts on the wire (preface, framing, header, payload), not TCP/IP overhead.
 *
 * <p>The demo hands one to {@code RpcClient.Builder.transport(Transport)} to measure the bytes per
 * call. It is also a small example of decorating an SPI: it needs no registration, because it is
 * passed as an instance rather than looked up by name. Thread-safe.
 */
public final class ByteCountingTransport implements Transport {
  private final Transport delegate;
  private final LongAdder written = new LongAdder();
  private final LongAdder read = new LongAdder();

  /** Counts the bytes of {@code delegate}'s connections. */
  public ByteCountingTransport(Transport delegate) {
    this.delegate = delegate;
  }

  /** The delegate's name: the counting is invisible to the peer. */
  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Optional<String> unavailableReason() {
    return delegate.unavailableReason();
  }

  @Override
  public int priority() {
    return delegate.priority();
  }

  /** Bytes written so far by every connection of this transport. */
  public long bytesWritten() {
    return written.sum();
  }

  /** Bytes read so far by every connection of this transport. */
  public long bytesRead() {
    return read.sum();
  }

  /** Bytes written plus bytes read. */
  public long bytesTotal() {
    return bytesWritten() + bytesRead();
  }

  @Override
  public boolean supports(SocketAddress address) {
    return delegate.supports(address);
  }

  @Override
  public Connection connect(SocketAddress remote, TransportOptions options,
      ConnectionHandler handler) throws IOException {
    Counts counts = new Counts();
    return new CountingConnection(delegate.connect(remote, options,
        new CountingHandler(handler, counts)), counts);
  }

  @Override
  public Listener listen(SocketAddress local, TransportOptions options, Acceptor acceptor)
      throws IOException {
    return delegate.listen(local, options, connection -> {
      Counts counts = new Counts();
      return new CountingHandler(acceptor.accept(new CountingConnection(connection, counts)),
          counts);
    });
  }

  /** One connection's counts; each also adds to the transport's totals. */
  private final class Counts {
    private final LongAdder connectionWritten = new LongAdder();
    private final LongAdder connectionRead = new LongAdder();

    void wrote(long n) {
      connectionWritten.add(n);
      written.add(n);
    }

    void read(long n) {
      connectionRead.add(n);
      read.add(n);
    }
  }

  /**
   * A connection that counts what it writes. Public so that code holding one (for instance a
   * handler given it by an acceptor) can ask for its own counts.
   */
  public static final class CountingConnection implements Connection {
    private final Connection delegate;
    private final Counts counts;

    private CountingConnection(Connection delegate, Counts counts) {
      this.delegate = delegate;
      this.counts = counts;
    }

    /** Bytes this connection has written. */
    public long bytesWritten() {
      return counts.connectionWritten.sum();
    }

    /** Bytes this connection has read. */
    public long bytesRead() {
      return counts.connectionRead.sum();
    }

    @Override
    public void write(ByteBuffer... buffers) throws IOException {
      long n = 0;
      for (ByteBuffer b : buffers) {
        n += b.remaining(); // summed before: the transport may move the positions
      }
      // Counted when handed over, not when write returns: the peer may answer, and the caller
      // see the answer, before a preempted writer thread returns from write.
      counts.wrote(n);
      delegate.write(buffers);
    }

    @Override
    public void close() {
      delegate.close();
    }

    @Override
    public boolean isOpen() {
      return delegate.isOpen();
    }

    @Override
    public SocketAddress remoteAddress() {
      return delegate.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
      return delegate.localAddress();
    }
  }

  /** Counts what arrives, then hands it on. */
  private static final class CountingHandler implements ConnectionHandler {
    private final ConnectionHandler delegate;
    private final Counts counts;

    CountingHandler(ConnectionHandler delegate, Counts counts) {
      this.delegate = delegate;
      this.counts = counts;
    }

    @Override
    public void onRead(ByteBuffer data) {
      counts.read(data.remaining()); // the handler consumes every byte
      delegate.onRead(data);
    }

    /** Passed on, so that a decorated transport still reads large frames without a copy. */
    @Override
    public ByteBuffer readTarget() {
      return delegate.readTarget();
    }

    @Override
    public void onReadInto(int bytes) {
      counts.read(bytes);
      delegate.onReadInto(bytes);
    }

    @Override
    public void onClosed(Throwable cause) {
      delegate.onClosed(cause);
    }
  }
}
