package io.protorpc.compiler;

import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * protoc-gen-protorpc: protorpc's protoc plugin. protoc runs it with a CodeGeneratorRequest on
 * standard input and reads the CodeGeneratorResponse from standard output; anything for people
 * goes to standard error. Exits 0 whenever it could answer (refusals travel in the response, and
 * protoc prints them); 1 if the request could not be read or the answer not written.
 */
public final class ProtocGenProtorpc {
  private ProtocGenProtorpc() {}

  public static void main(String[] args) {
    if (args.length > 0) {
      System.err.println("protoc-gen-protorpc is run by protoc: "
          + "protoc --plugin=protoc-gen-protorpc=PATH --protorpc_out=DIR FILE.proto");
      System.exit(2);
    }
    try {
      run(System.in, System.out);
    } catch (IOException | RuntimeException e) {
      System.err.println("protoc-gen-protorpc: " + e);
      e.printStackTrace();
      System.exit(1);
    }
  }

  /** Reads one request from {@code in} and writes its response to {@code out}. */
  static void run(InputStream in, OutputStream out) throws IOException {
    CodeGeneratorResponse response = Generator.generate(CodeGeneratorRequest.parseFrom(in));
    response.writeTo(out);
    out.flush();
  }
}
