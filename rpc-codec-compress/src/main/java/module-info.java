/**
 * The {@code zstd} (zstd-jni) and {@code gzip} (JDK) compressors. Both are found by {@link
 * java.util.ServiceLoader} as {@link io.protorpc.spi.Compressor}s; the classes are exported so a
 * compressor with options (zstd level and dictionary, gzip level) can be built explicitly and given
 * to {@code RpcClient.Builder.compressor(Compressor)} and {@code RpcServer.Builder.compressors}.
 *
 * <p>{@link io.protorpc.codec.compress.TrainDictionary} trains a zstd dictionary from sample
 * messages.
 */
module io.protorpc.codec.compress {
  // transitive: the exported classes implement io.protorpc.spi.Compressor
  requires transitive io.protorpc;
  // not transitive: no zstd-jni type appears in this module's API
  requires com.github.luben.zstd_jni;

  exports io.protorpc.codec.compress;

  provides io.protorpc.spi.Compressor with
      io.protorpc.codec.compress.ZstdCompressor,
      io.protorpc.codec.compress.GzipCompressor;
}
