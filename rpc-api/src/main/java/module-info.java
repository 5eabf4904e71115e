/**
 * protorpc's core: the user API ({@link io.protorpc.RpcClient}, {@link io.protorpc.RpcServer},
 * controllers, {@link io.protorpc.Status}, {@link io.protorpc.Metadata}) and the plugin SPIs in
 * {@code io.protorpc.spi}. This is the one module that declares {@code uses} for every SPI, so all
 * ServiceLoader lookups happen here.
 */
module io.protorpc {
  requires transitive com.google.protobuf;

  exports io.protorpc;
  exports io.protorpc.spi;

  uses io.protorpc.spi.Transport;
  uses io.protorpc.spi.Framing;
  uses io.protorpc.spi.Compressor;
  uses io.protorpc.spi.Codec;
  uses io.protorpc.spi.MessageTransport;

  provides io.protorpc.spi.Framing with
      io.protorpc.builtin.LengthFraming,
      io.protorpc.builtin.DelimiterFraming;
  provides io.protorpc.spi.Compressor with
      io.protorpc.builtin.IdentityCompressor;
}
