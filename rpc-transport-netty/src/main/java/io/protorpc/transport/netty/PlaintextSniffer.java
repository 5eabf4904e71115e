package io.protorpc.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.protorpc.spi.TlsMismatch;

/**
 * First in a TLS server connection's pipeline: looks at the client's first byte. A TLS handshake
 * passes on to the {@code SslHandler} untouched (and this handler leaves the pipeline); anything
 * else is a plaintext client, which gets a TLS alert in the clear (so that it can tell its user
 * the server uses TLS; Netty's {@code SslHandler} would close without a word) and the connection
 * ends with that reason.
 */
final class PlaintextSniffer extends ChannelInboundHandlerAdapter {
  private boolean refused;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg); // the rest of the plaintext client's bytes
      return;
    }
    if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (TlsMismatch.startsHandshake(bytes.getByte(bytes.readerIndex()))) {
      ctx.pipeline().remove(this);
      ctx.fireChannelRead(msg);
      return;
    }
    refused = true;
    bytes.release();
    ctx.writeAndFlush(Unpooled.wrappedBuffer(TlsMismatch.alert()));
    ctx.fireExceptionCaught(TlsMismatch.plaintextClient(ctx.channel().remoteAddress(), null));
  }
}
