/**
 * protorpc's core: the user API ({@link io.protorpc.RpcClient}, {@link io.protorpc.RpcServer},
 * controllers, {@link io.protorpc.Status}, {@link io.protorpc.Metadata}) and the plugin SPIs: the
 * byte-level ones in {@code io.protorpc.spi}, name resolution in {@code io.protorpc.resolver} and
 * load balancing in {@code io.protorpc.balancer}. This is the one module that declares {@code
 * uses} for every SPI, so all ServiceLoader lookups happen here.
 */
module io.protorpc {
  requires transitive com.google.protobuf;

  exports io.protorpc;
  exports io.protorpc.spi;
  exports io.protorpc.resolver;
  exports io.protorpc.balancer;
  exports io.protorpc.health;

  uses io.protorpc.spi.Transport;
  uses io.protorpc.spi.Framing;
  uses io.protorpc.spi.Compressor;
  uses io.protorpc.spi.Codec;
  uses io.protorpc.resolver.NameResolver;
  uses io.protorpc.balancer.LoadBalancer;

  provides io.protorpc.spi.Framing with
      io.protorpc.builtin.LengthFraming,
      io.protorpc.builtin.DelimiterFraming;
  provides io.protorpc.spi.Compressor with
      io.protorpc.builtin.IdentityCompressor;
  provides io.protorpc.resolver.NameResolver with
      io.protorpc.builtin.PassthroughResolver,
      io.protorpc.builtin.DnsResolver,
      io.protorpc.builtin.StaticResolver,
      io.protorpc.builtin.InProcessResolver;
  provides io.protorpc.balancer.LoadBalancer with
      io.protorpc.builtin.PickFirstBalancer,
      io.protorpc.builtin.RoundRobinBalancer,
      io.protorpc.builtin.LeastRequestBalancer;
}
