package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.RuntimeVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What README's "Your own project" tells a user holds: the BOM lists every published module at
 * the build's version, and the versions in the pom snippets (which are rpc-examples/pom.xml's,
 * see {@link ReadmeSnippetsTest}) are the build's own.
 */
class ProjectSetupTest {
  /**
   * Applications that are not libraries a user depends on; modules of tests only say so with
   * maven.deploy.skip.
   */
  private static final Set<String> NOT_PUBLISHED = Set.of("rpc-examples", "rpc-benchmarks");

  private static final Path ROOT = ReadmeSnippetsTest.ROOT;

  @Test
  void bomListsEveryPublishedModuleAtTheBuildsVersion() throws IOException {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    String bom = Files.readString(ROOT.resolve("rpc-bom/pom.xml"));

    Set<String> published = new TreeSet<>(all(parent, "<module>([^<]+)</module>"));
    assertTrue(published.containsAll(NOT_PUBLISHED) && published.remove("rpc-bom"),
        published::toString);
    published.removeAll(NOT_PUBLISHED);
    for (String module : List.copyOf(published)) {
      if (Files.readString(ROOT.resolve(module).resolve("pom.xml"))
          .contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
        published.remove(module);
      }
    }

    String managed = between(bom, "<dependencyManagement>", "</dependencyManagement>");
    Set<String> listed = new TreeSet<>();
    Matcher d = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL)
        .matcher(managed);
    while (d.find()) {
      assertTrue(d.group(1).contains("<groupId>io.protorpc</groupId>")
          && d.group(1).contains("<version>${project.version}</version>"), d.group(1));
      listed.add(first(d.group(1), "<artifactId>([^<]+)</artifactId>"));
    }
    assertEquals(published, listed, "rpc-bom's dependencyManagement");
    assertEquals(projectVersion(parent), first(bom, "<artifactId>rpc-bom</artifactId>\\s*"
        + "<version>([^<]+)</version>"), "rpc-bom has no parent: its version is written out");
  }

  @Test
  void readmesPomSnippetsUseTheBuildsVersions() throws IOException {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    String examples = Files.readString(ROOT.resolve("rpc-examples/pom.xml"));
    String readme = Files.readString(ROOT.resolve("README.md"));
    String version = projectVersion(parent);

    assertEquals(version, first(examples,
        "<artifactId>rpc-bom</artifactId>\\s*<version>([^<]+)</version>"), "the BOM import");
    assertEquals(version, first(readme,
        "<artifactId>rpc-bom</artifactId>\\s*<version>([^<]+)</version>"), "README's BOM");
    assertEquals(version, first(readme,
        "<artifactId>rpc-compiler</artifactId>\\s*<version>([^<]+)</version>"),
        "README's protoc plugin");
    String runtime = RuntimeVersion.MAJOR + "." + RuntimeVersion.MINOR + "."
        + RuntimeVersion.PATCH;
    assertEquals(runtime, first(readme, "<protocVersion>([^<]+)</protocVersion>"),
        "protoc's version in README, and the protobuf-java that rpc-api brings");
    String plugin = "<artifactId>protobuf-maven-plugin</artifactId>\\s*<version>([^<]+)</version>";
    assertEquals(first(parent, plugin), first(readme, plugin), "protobuf-maven-plugin");
  }

  @Test
  void readmesSurefireVersionIsTheOneThisBuildUses() throws IOException {
    String parent = Files.readString(ROOT.resolve("pom.xml"));
    String readme = Files.readString(ROOT.resolve("README.md"));
    String pinned = first(parent,
        "<artifactId>maven-surefire-plugin</artifactId>\\s*<version>([^<]+)</version>");
    assertTrue(readme.contains("(this repository uses " + pinned + ")"), pinned);
  }

  private static String projectVersion(String parentPom) {
    return first(parentPom, "<artifactId>protorpc-parent</artifactId>\\s*<version>([^<]+)</version>");
  }

  private static String between(String text, String from, String to) {
    int i = text.indexOf(from);
    int j = text.indexOf(to, i);
    assertTrue(i >= 0 && j > i, from);
    return text.substring(i, j);
  }

  private static String first(String text, String regex) {
    List<String> found = all(text, regex);
    assertTrue(!found.isEmpty(), "no match for " + regex);
    return found.get(0);
  }

  private static List<String> all(String text, String regex) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(text);
    while (m.find()) {
      out.add(m.group(1).strip());
    }
    return out;
  }
}
