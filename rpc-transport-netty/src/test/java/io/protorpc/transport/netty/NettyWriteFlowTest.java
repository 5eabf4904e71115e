package io.protorpc.transport.netty;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.protorpc.spi.Listener;
import io.protorpc.spi.TransportOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * How {@link NettyTransport} writes: flushes coalesced (counted where they reach the socket, not
 * timed) and backpressure, from writers off the event loop and from the loop itself.
 */
class NettyWriteFlowTest extends LoopbackTest {
  /**
   * Counts the messages and flushes that reach the head of the pipeline, where a flush becomes a
   * write to the socket. Add it first in the pipeline, on the event loop.
   */
  static final class OutboundCounter extends ChannelOutboundHandlerAdapter {
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger flushes = new AtomicInteger();
    private long bytesSinceFlush; // on the event loop
    /** The most bytes one flush sent. */
    volatile long largestFlush;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
        writes.incrementAndGet();
        bytesSinceFlush += ((ByteBuf) msg).readableBytes();
      }
      ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      flushes.incrementAndGet();
      largestFlush = Math.max(largestFlush, bytesSinceFlush);
      bytesSinceFlush = 0;
      ctx.flush();
    }
  }

  /** Adds a counter to {@code conn}'s pipeline, on its loop, and returns it once in place. */
  private static OutboundCounter count(NettyConnection conn) throws Exception {
    OutboundCounter counter = new OutboundCounter();
    conn.channel().eventLoop().submit(() -> conn.channel().pipeline().addFirst(counter))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return counter;
  }

  // ---- flush coalescing ----

  /** Writes queued while the loop is busy go out with one flush: the last one's. */
  @Test
  void writesQueuedWhileTheLoopIsBusyShareOneFlush() throws Exception {
    Inbox server = new Inbox();
    NettyConnection conn = connectTo(server, OPTIONS);
    OutboundCounter counter = count(conn);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    int writes = 200;
    whileLoopIsBusy(conn, () -> {
      for (int i = 0; i < writes; i++) {
        byte[] m = ("message " + i + ";").getBytes(US_ASCII);
        expected.write(m);
        conn.write(ByteBuffer.wrap(m)); // queued on the busy loop; well under the water mark
      }
    });
    assertArrayEquals(expected.toByteArray(), server.awaitBytes(expected.size(), WAIT));
    assertEquals(writes, counter.writes.get());
    assertEquals(1, counter.flushes.get(), "one flush for the whole burst");
  }

  /**
   * Coalescing holds back at most half the write buffer: more would make the channel unwritable,
   * blocking writers, over bytes the socket could take.
   */
  @Test
  void aLargeBurstIsFlushedInPiecesOfAtMostHalfTheWriteBuffer() throws Exception {
    int writeBuffer = 1 << 20;
    int message = 8 * 1024;
    int writes = 100; // 800 KiB, all queued at once: under the buffer, over half of it
    TransportOptions options = TransportOptions.builder().writeBufferBytes(writeBuffer).build();
    Inbox server = new Inbox();
    NettyConnection conn = connectTo(server, options);
    OutboundCounter counter = count(conn);
    whileLoopIsBusy(conn, () -> {
      for (int i = 0; i < writes; i++) {
        conn.write(ByteBuffer.allocate(message));
      }
    });
    server.awaitBytes(writes * message, WAIT);
    assertEquals(writes, counter.writes.get());
    assertTrue(counter.flushes.get() > 1, "the burst was split");
    assertTrue(counter.largestFlush <= writeBuffer / 2 + message,
        counter.largestFlush + " bytes in one flush");
  }

  /** Things the test does while the event loop is held up (so that writes queue behind it). */
  @FunctionalInterface
  private interface Writes {
    void run() throws IOException;
  }

  private static void whileLoopIsBusy(NettyConnection conn, Writes writes) throws Exception {
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    conn.channel().eventLoop().execute(() -> {
      busy.countDown();
      try {
        release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(busy.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    try {
      writes.run();
    } finally {
      release.countDown();
    }
  }

  /** Many small writes from many threads at once cost fewer flushes than writes. */
  @Test
  void concurrentSmallWritesCostFewerFlushesThanWrites() throws Exception {
    int writers = 8;
    int perWriter = 1_000;
    int size = 16;
    Inbox server = new Inbox();
    NettyConnection conn = connectTo(server, OPTIONS);
    OutboundCounter counter = count(conn);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      done.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < perWriter; i++) {
          conn.write(ByteBuffer.allocate(size));
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    server.awaitBytes(writers * perWriter * size, WAIT);
    int writes = counter.writes.get();
    int flushes = counter.flushes.get();
    System.out.printf("coalescing: %d writes from %d threads, %d flushes (%.1f writes/flush)%n",
        writes, writers, flushes, (double) writes / flushes);
    assertEquals(writers * perWriter, writes);
    assertTrue(flushes < writes, flushes + " flushes for " + writes + " writes");
  }

  /** Replies a handler writes from {@code onRead} leave together, at the end of the read batch. */
  @Test
  void repliesWrittenFromOnReadShareOneFlushPerReadBatch() throws Exception {
    BlockingQueue<OutboundCounter> counters = new ArrayBlockingQueue<>(1);
    AtomicInteger reads = new AtomicInteger();
    Listener listener = listen(transport, OPTIONS, conn -> {
      OutboundCounter counter = new OutboundCounter();
      ((NettyConnection) conn).channel().pipeline().addFirst(counter); // on the loop: in place
      counters.add(counter);
      return new Inbox(chunk -> {
        reads.incrementAndGet();
        for (int i = 0; i < 3; i++) {
          conn.write(chunk.duplicate()); // three replies per read, on the event loop
        }
      });
    });
    Inbox client = new Inbox();
    NettyConnection conn = connect(transport, listener.localAddress(), OPTIONS, client);
    int bytes = 0;
    for (int i = 0; i < 50; i++) {
      conn.write(ByteBuffer.allocate(100));
      bytes += 100;
    }
    client.awaitBytes(3 * bytes, WAIT);
    OutboundCounter counter = counters.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(3 * reads.get(), counter.writes.get());
    assertTrue(counter.flushes.get() <= reads.get(),
        counter.flushes.get() + " flushes for " + reads.get() + " reads");
  }

  // ---- backpressure ----

  /**
   * A peer that stops reading makes a writer off the event loop block, with no more than the
   * write-buffer size (plus the message in hand) queued; closing the connection releases it.
   */
  @Test
  void offLoopWriterBlocksOnAStalledPeerUntilCloseReleasesIt() throws Exception {
    int message = 16 * 1024;
    try (ServerSocket raw = new ServerSocket()) {
      raw.setReceiveBufferSize(4096); // inherited by the accepted socket, which is never read
      raw.bind(new InetSocketAddress(LOOPBACK, 0), 1);
      NettyConnection conn = connect(transport,
          new InetSocketAddress(LOOPBACK, raw.getLocalPort()), OPTIONS, new Inbox());
      Socket peer = closeLater(raw.accept());
      AtomicLong written = new AtomicLong();
      Future<IOException> writer = pool.submit(() -> {
        ByteBuffer m = ByteBuffer.allocate(message);
        try {
          for (int i = 0; i < 64 * 1024; i++) { // 1 GiB: far past any buffer, were none to block
            conn.write(m);
            written.addAndGet(message);
          }
        } catch (IOException e) {
          return e;
        }
        return null;
      });
      assertTrue(waitUntil(() -> conn.blockedWriters() == 1 || writer.isDone()),
          "the writer never blocked");
      assertFalse(writer.isDone(), () -> "the writer ended after " + written + " bytes");
      long pending = conn.pendingOutboundBytes();
      long bound = OPTIONS.writeBufferBytes() + message + 1024;
      assertTrue(pending <= bound, pending + " bytes queued, more than " + bound);

      assertTimeoutPreemptively(WAIT, conn::close); // the drain gives up after a second
      assertInstanceOf(IOException.class, writer.get(WAIT.toSeconds(), TimeUnit.SECONDS),
          "the blocked writer fails once the connection is closed");
      assertEquals(0, conn.blockedWriters());
      peer.close();
    }
  }

  /**
   * An echo on the event loop (which must not block) to a peer that writes but does not read:
   * the connection stops reading once its outbound buffer is full instead of queueing without
   * bound, and carries on, losing nothing, once the peer reads again.
   */
  @Test
  void eventLoopWritesPauseReadingUntilThePeerCatchesUp() throws Exception {
    int total = 16 << 20; // more than the kernel's socket buffers hold
    int waterMark = 16 * 1024;
    TransportOptions options = TransportOptions.builder().writeBufferBytes(waterMark).build();
    BlockingQueue<NettyConnection> accepted = new ArrayBlockingQueue<>(1);
    Listener listener = listen(transport, options, conn -> {
      accepted.add((NettyConnection) conn);
      return new Inbox(conn::write);
    });
    Socket peer = closeLater(new Socket());
    peer.setReceiveBufferSize(4096);
    peer.connect(listener.localAddress());
    Future<?> writer = pool.submit(() -> {
      OutputStream out = peer.getOutputStream();
      byte[] chunk = new byte[8192];
      for (int off = 0; off < total; off += chunk.length) {
        for (int i = 0; i < chunk.length; i++) {
          chunk[i] = pattern(off + i);
        }
        out.write(chunk);
      }
      return null;
    });
    NettyConnection server = accepted.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertTrue(waitUntil(() -> !server.channel().config().isAutoRead()),
        "the server never paused reading");
    long pending = server.pendingOutboundBytes();
    long bound = waterMark + 64 * 1024 + 4096; // the mark plus the echo of one read, at most
    assertTrue(pending <= bound, pending + " bytes queued, more than " + bound);

    Future<Integer> reader = pool.submit(() -> {
      InputStream in = peer.getInputStream();
      byte[] buf = new byte[65536];
      int seen = 0;
      while (seen < total) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        for (int i = 0; i < n; i++, seen++) {
          if (buf[i] != pattern(seen)) {
            throw new AssertionError("byte " + seen + " differs");
          }
        }
      }
      return seen;
    });
    writer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertEquals(total, reader.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertTrue(waitUntil(() -> server.channel().config().isAutoRead()), "reading resumed");
  }

  private static byte pattern(int i) {
    return (byte) (i ^ (i >>> 9));
  }
}
