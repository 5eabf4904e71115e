package io.protorpc.testkit;

import io.protorpc.spi.Codec;
import io.protorpc.spi.Envelope;
import io.protorpc.spi.FrameDecoder;
import io.protorpc.spi.Framing;
import io.protorpc.spi.ProtocolException;
import io.protorpc.spi.Transport;
import io.protorpc.spi.TransportOptions;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A bare-bones protorpc peer, written from docs/protocol.md rather than from the core, for tests
 * that must send what a well-behaved client never would: garbage, bad prefaces, oversize or
 * corrupt frames; or, through {@link #serve}, play a server that answers as the real one only does
 * in a race. Every read has a timeout, so a test never hangs.
 *
 * <p>To an IP address it talks over a plain blocking socket. To any other kind of address (an
 * in-process one, say) it talks through the transport under test, used as a byte pipe only: see
 * {@link #connect}. Either way it stops reading when the test stops reading, so it can play a
 * peer that never reads.
 *
 * <p>Not thread-safe.
 */
public final class RawConnection implements Closeable {
  private final InputStream in;
  private final OutputStream out;
  private final IntConsumer readTimeout;
  private final Closeable closer;
  private int readTimeoutMillis;
  private final ArrayDeque<ByteBuffer> frames = new ArrayDeque<>();
  private Framing framing;
  private Codec codec;
  private FrameDecoder decoder;

  /**
   * Connects a plain socket to an IP address; every later read waits at most {@code
   * readTimeoutMillis}. For any kind of address use {@link #connect}.
   *
   * @throws IllegalArgumentException if {@code server} is not an {@link InetSocketAddress}
   */
  public RawConnection(SocketAddress server, int readTimeoutMillis) throws IOException {
    this(connected(server, readTimeoutMillis), readTimeoutMillis);
  }

  RawConnection(Socket socket, int readTimeoutMillis) throws IOException {
    socket.setSoTimeout(readTimeoutMillis);
    socket.setTcpNoDelay(true);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.readTimeout = millis -> {
      try {
        socket.setSoTimeout(millis);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    this.closer = socket;
    this.readTimeoutMillis = readTimeoutMillis;
  }

  RawConnection(TransportStream stream, int readTimeoutMillis) {
    stream.readTimeoutMillis(readTimeoutMillis);
    this.in = stream.input();
    this.out = stream.output();
    this.readTimeout = stream::readTimeoutMillis;
    this.closer = stream;
    this.readTimeoutMillis = readTimeoutMillis;
  }

  /**
   * Connects to {@code server}: over a plain socket if it is an IP address, else through {@code
   * transport}'s own connection, whose bytes this reads and writes unchanged.
   */
  public static RawConnection connect(Transport transport, SocketAddress server,
      int readTimeoutMillis) throws IOException {
    if (server instanceof InetSocketAddress inet) {
      return new RawConnection(inet, readTimeoutMillis);
    }
    TransportStream stream = new TransportStream();
    stream.attach(transport.connect(server, TransportOptions.defaults(), stream));
    return new RawConnection(stream, readTimeoutMillis);
  }

  /** From now on every read waits at most {@code millis}. */
  public void setReadTimeout(int millis) {
    readTimeout.accept(millis);
    readTimeoutMillis = millis;
  }

  private static Socket connected(SocketAddress server, int timeoutMillis) throws IOException {
    if (!(server instanceof InetSocketAddress)) {
      throw new IllegalArgumentException("a plain socket reaches IP addresses only, not " + server
          + "; use RawConnection.connect(transport, address, timeout)");
    }
    Socket s = new Socket();
    s.connect(server, timeoutMillis);
    return s;
  }

  /**
   * Plays the server on a socket a test accepted; see {@link #serve(Framing, Codec)}.
   */
  public static RawConnection serve(Socket accepted, Framing framing, Codec codec,
      int readTimeoutMillis) throws IOException {
    return new RawConnection(accepted, readTimeoutMillis).serve(framing, codec);
  }

  /**
   * Plays the server on a connection a test accepted (see {@link RawListener}): reads the
   * client's preface, whatever it asks, and accepts it with {@code framing}, {@code codec} and
   * the identity compressor. Then {@link #receive} reads the client's envelopes and {@link #send}
   * answers them.
   *
   * @return this connection
   */
  public RawConnection serve(Framing framing, Codec codec) throws IOException {
    readPreface();
    Map<String, String> reply = new LinkedHashMap<>();
    reply.put("status", "ok");
    reply.put("framing", framing.name());
    reply.put("codec", codec.name());
    reply.put("compressors", "identity");
    write(preface(1, reply));
    this.framing = framing;
    this.codec = codec;
    this.decoder = framing.newDecoder(64 * 1024 * 1024);
    return this;
  }

  /** A client preface: magic, version, body length, {@code key=value} lines. */
  public static byte[] preface(int version, Map<String, String> fields) {
    StringBuilder body = new StringBuilder();
    fields.forEach((k, v) -> body.append(k).append('=').append(v).append('\n'));
    byte[] text = body.toString().getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(7 + text.length).put(new byte[] {'P', 'R', 'P', 'C'})
        .put((byte) version).putShort((short) text.length).put(text).array();
  }

  /** The preface fields a well-formed client sends for this framing and codec. */
  public static Map<String, String> clientFields(String framing, String codec) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("framing", framing);
    f.put("codec", codec);
    f.put("compressors", "identity");
    return f;
  }

  /** Writes raw bytes. */
  public void write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /**
   * Sends a valid preface for {@code framing} and {@code codec} and reads the server's answer.
   *
   * @return the server's preface fields ({@code status=ok} when accepted)
   */
  public Map<String, String> handshake(Framing framing, Codec codec) throws IOException {
    return handshake(framing, codec, "identity");
  }

  /** Like {@link #handshake(Framing, Codec)}, offering {@code compressor} besides identity. */
  public Map<String, String> handshake(Framing framing, Codec codec, String compressor)
      throws IOException {
    Map<String, String> fields = clientFields(framing.name(), codec.name());
    fields.put("compressors", compressor.equals("identity") ? "identity" : compressor + ",identity");
    write(preface(1, fields));
    Map<String, String> reply = readPreface();
    if ("ok".equals(reply.get("status"))) {
      this.framing = framing;
      this.codec = codec;
      this.decoder = framing.newDecoder(64 * 1024 * 1024);
    }
    return reply;
  }

  /** Reads the peer's preface: the server's, or the client's when this plays the server. */
  public Map<String, String> readPreface() throws IOException {
    byte[] head = in.readNBytes(7);
    if (head.length < 7) {
      throw new IOException("connection closed before a whole preface (" + head.length + " bytes)");
    }
    if (head[0] != 'P' || head[1] != 'R' || head[2] != 'P' || head[3] != 'C') {
      throw new IOException("preface has a bad magic");
    }
    int length = ((head[5] & 0xFF) << 8) | (head[6] & 0xFF);
    byte[] body = in.readNBytes(length);
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return fields;
  }

  /** Encodes and sends one envelope with the handshaken framing and codec. */
  public void send(Envelope envelope) throws IOException {
    write(encode(envelope));
  }

  /** One envelope as the handshaken framing and codec put it on the wire, to send in parts. */
  public byte[] encode(Envelope envelope) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (ByteBuffer b : framing.encode(codec.encode(envelope))) {
      ByteBuffer d = b.duplicate();
      byte[] chunk = new byte[d.remaining()];
      d.get(chunk);
      bytes.writeBytes(chunk);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads the next envelope.
   *
   * @throws IOException if the connection closes first or the read times out
   */
  public Envelope receive() throws IOException {
    byte[] buf = new byte[8192];
    while (frames.isEmpty()) {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("connection closed by the server");
      }
      decoder.decode(ByteBuffer.wrap(buf, 0, n), frames::add);
    }
    try {
      return codec.decode(frames.poll(), 1024 * 1024);
    } catch (ProtocolException e) {
      throw new IOException("server sent an undecodable frame", e);
    }
  }

  /**
   * Reads and discards until the server closes the connection.
   *
   * @return the bytes read, at most {@code limit}
   * @throws SocketTimeoutException if the server keeps it open past the read timeout
   */
  public byte[] readUntilClosed(int limit) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (got.size() < limit) {
          got.write(buf, 0, Math.min(n, limit - got.size()));
        }
      }
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException e) {
      // a reset is a close too, for the peer that sent garbage
    }
    return got.toByteArray();
  }

  /**
   * True if the server has closed this connection (EOF or reset) within {@code millis}; what it
   * sent before closing is read and dropped.
   */
  public boolean closedByServerWithin(int millis) throws IOException {
    int old = readTimeoutMillis;
    setReadTimeout(millis);
    try {
      return closedByServer();
    } finally {
      try {
        setReadTimeout(old);
      } catch (UncheckedIOException closed) {
        // the socket is closed: no later read to time
      }
    }
  }

  /** True once the server has closed (EOF or reset) within the read timeout. */
  public boolean closedByServer() {
    try {
      readUntilClosed(0);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    closer.close();
  }
}
