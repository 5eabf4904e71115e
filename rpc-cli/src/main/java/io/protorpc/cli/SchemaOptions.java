package io.protorpc.cli;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Where the descriptors come from: the server's reflection, or the files given here. */
final class SchemaOptions {
  @Option(names = "--proto", paramLabel = "FILE",
      description = "Use this .proto instead of server reflection (runs protoc); repeatable.")
  List<Path> protos = new ArrayList<>();

  @Option(names = {"-I", "--import-path"}, paramLabel = "DIR",
      description = "Where --proto files and their imports are found; repeatable. Default: each"
          + " --proto file's directory.")
  List<Path> importPaths = new ArrayList<>();

  @Option(names = "--descriptor-set", paramLabel = "FILE",
      description = "Use this FileDescriptorSet (protoc --descriptor_set_out --include_imports)"
          + " instead of server reflection; repeatable.")
  List<Path> descriptorSets = new ArrayList<>();

  @Option(names = "--protoc", paramLabel = "PATH",
      description = "The protoc to run for --proto. Default: $PROTOC, else protoc on the PATH,"
          + " else the one Maven keeps in ~/.m2.")
  Path protoc;

  boolean givesFiles() {
    return !protos.isEmpty() || !descriptorSets.isEmpty();
  }

  /** The given files, compiled and merged into one set. */
  FileDescriptorSet files(Io io) throws CliException {
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    if (!protos.isEmpty()) {
      for (Path p : protos) {
        if (!Files.isRegularFile(p)) {
          throw CliException.usage("--proto: no file " + p);
        }
      }
      set.mergeFrom(Protoc.compile(Protoc.find(protoc, io.env()), protos, importPaths));
    }
    for (Path p : descriptorSets) {
      try {
        set.mergeFrom(FileDescriptorSet.parseFrom(Files.readAllBytes(p)));
      } catch (InvalidProtocolBufferException e) {
        throw CliException.usage("--descriptor-set " + p + " is not a FileDescriptorSet: "
            + e.getMessage());
      } catch (IOException e) {
        throw CliException.local("cannot read " + p + ": " + e.getMessage(), e);
      }
    }
    return set.build();
  }

  /** What the files are called in messages. */
  String describeFiles() {
    List<String> names = new ArrayList<>();
    protos.forEach(p -> names.add(p.toString()));
    descriptorSets.forEach(p -> names.add(p.toString()));
    return "the given files (" + String.join(", ", names) + ")";
  }
}
