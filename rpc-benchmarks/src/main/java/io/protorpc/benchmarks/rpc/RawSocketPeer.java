package io.protorpc.benchmarks.rpc;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;

/**
 * The floor: blocking sockets on loopback, each message a 4-byte big-endian length and the bytes,
 * and a server thread per connection that reads a message and writes it straight back (into a
 * reused buffer: no parsing, no allocation per message). No RPC over TCP can beat it.
 */
public final class RawSocketPeer implements AutoCloseable {
  private static final int BUFFER = 64 * 1024;

  private final ServerSocket listener;
  private final Thread acceptor;
  private final Socket socket;
  final DataInputStream in;
  final DataOutputStream out;

  public RawSocketPeer() throws IOException {
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::accept, "raw-echo-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    socket = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    socket.setTcpNoDelay(true);
    in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), BUFFER));
    out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), BUFFER));
  }

  private void accept() {
    try {
      while (true) {
        Socket s = listener.accept();
        s.setTcpNoDelay(true);
        Thread t = new Thread(() -> echo(s), "raw-echo-server");
        t.setDaemon(true);
        t.start();
      }
    } catch (IOException closed) {
      // listener closed
    }
  }

  private static void echo(Socket s) {
    try (s) {
      DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), BUFFER));
      DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), BUFFER));
      byte[] buf = new byte[BUFFER];
      while (true) {
        int n = in.readInt();
        if (n > buf.length) {
          buf = new byte[n];
        }
        in.readFully(buf, 0, n);
        out.writeInt(n);
        out.write(buf, 0, n);
        if (in.available() == 0) { // pipelined messages already here go out in one write
          out.flush();
        }
      }
    } catch (EOFException | SocketException closed) {
      // client went away
    } catch (IOException e) {
      e.printStackTrace();
    }
  }

  /** Writes one message (without flushing). */
  void send(byte[] message) throws IOException {
    out.writeInt(message.length);
    out.write(message);
  }

  /** Reads one message into {@code into}, which must be large enough; returns its length. */
  int receive(byte[] into) throws IOException {
    int n = in.readInt();
    in.readFully(into, 0, n);
    return n;
  }

  /** Writes and flushes one message (pipelined use: a separate thread receives). */
  public void sendAndFlush(byte[] message) throws IOException {
    send(message);
    out.flush();
  }

  /** Reads one message into {@code into}; returns its length. */
  public int receiveInto(byte[] into) throws IOException {
    return receive(into);
  }

  /** One ping-pong: send, flush, wait for the echo. */
  public int pingPong(byte[] message, byte[] into) throws IOException {
    send(message);
    out.flush();
    return receive(into);
  }

  @Override
  public void close() throws IOException {
    socket.close();
    listener.close();
  }
}
