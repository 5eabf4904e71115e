package io.protorpc.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time, never committed: a test CA, a server certificate for {@code
 * localhost} / {@code 127.0.0.1} and a client certificate, both signed by it, and an unrelated CA
 * that trusts neither. Made once per JVM with the JDK's own {@code keytool} (no extra library) in
 * a temporary directory, valid for two days.
 *
 * <p>Thread-safe.
 */
public final class TestCertificates {
  private static final char[] PASSWORD = "testkit".toCharArray();
  /**
   * Made once per JVM on a thread of its own: a test that times out while waiting for it (keytool
   * is a JVM start per step, slow on a loaded machine) does not interrupt the making, and the
   * tests after it find the certificates made.
   */
  private static final CompletableFuture<TestCertificates> INSTANCE = new CompletableFuture<>();
  private static final AtomicBoolean STARTED = new AtomicBoolean();

  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** The shared instance, made on first use (a few seconds). */
  public static TestCertificates get() throws IOException {
    if (STARTED.compareAndSet(false, true)) {
      Thread maker = new Thread(() -> {
        try {
          INSTANCE.complete(make());
        } catch (IOException | RuntimeException e) {
          INSTANCE.completeExceptionally(e);
        }
      }, "protorpc-test-certificates");
      maker.setDaemon(true);
      maker.start();
    }
    try {
      return INSTANCE.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the test certificates were made", e);
    } catch (ExecutionException e) {
      throw new IOException("cannot make the test certificates", e.getCause());
    }
  }

  /** The server's context: its certificate, trusting clients signed by the test CA. */
  public SSLContext serverContext() throws IOException {
    return context("server.p12", "ca.pem");
  }

  /** A client context trusting the test CA, presenting the client certificate (mutual TLS). */
  public SSLContext clientContext() throws IOException {
    return context("client.p12", "ca.pem");
  }

  /** A client context trusting the test CA, with no certificate of its own. */
  public SSLContext clientContextWithoutCertificate() throws IOException {
    return context(null, "ca.pem");
  }

  /** A client context that trusts only an unrelated CA, so not the test server. */
  public SSLContext untrustingClientContext() throws IOException {
    return context("client.p12", "other-ca.pem");
  }

  /** The test CA's certificate as PEM: what a client given files trusts (e.g. a --cacert). */
  public Path caCertificatePem() {
    return dir.resolve("ca.pem");
  }

  /** The client certificate as PEM, signed by the test CA. */
  public Path clientCertificatePem() {
    return dir.resolve("client.pem");
  }

  /** The client certificate's private key as unencrypted PKCS#8 PEM, written on first use. */
  public Path clientKeyPem() throws IOException {
    return keyPem("client");
  }

  /**
   * The server certificate as PEM (CN=localhost, IP 127.0.0.1, signed by the test CA), for
   * servers that are not Java, such as a broker.
   */
  public Path serverCertificatePem() {
    return dir.resolve("server.pem");
  }

  /** The server certificate's private key as unencrypted PKCS#8 PEM, written on first use. */
  public Path serverKeyPem() throws IOException {
    return keyPem("server");
  }

  private synchronized Path keyPem(String name) throws IOException {
    Path pem = dir.resolve(name + "-key.pem");
    if (!Files.exists(pem)) {
      try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(in, PASSWORD);
        byte[] der = ks.getKey(name, PASSWORD).getEncoded();
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
            + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
        pem.toFile().deleteOnExit();
      } catch (GeneralSecurityException e) {
        throw new IOException("cannot read the " + name + " key", e);
      }
    }
    return pem;
  }

  /** The subject of the client certificate. */
  public static String clientSubject() {
    return "CN=protorpc-test-client";
  }

  private SSLContext context(String keyStore, String trustedCa) throws IOException {
    try {
      KeyManagerFactory kmf = null;
      if (keyStore != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve(keyStore))) {
          ks.load(in, PASSWORD);
        }
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(dir.resolve(trustedCa))) {
        Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
        trust.setCertificateEntry("ca", ca);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build a TLS context from the test certificates", e);
    }
  }

  private static TestCertificates make() throws IOException {
    Path dir = Files.createTempDirectory("protorpc-test-certs");
    dir.toFile().deleteOnExit();
    TestCertificates t = new TestCertificates(dir);
    t.selfSignedCa("ca", "CN=protorpc-test-ca");
    t.selfSignedCa("other-ca", "CN=protorpc-unrelated-ca");
    t.signedByCa("server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
    t.signedByCa("client", clientSubject(), null);
    for (java.io.File f : dir.toFile().listFiles()) {
      f.deleteOnExit();
    }
    return t;
  }

  private void selfSignedCa(String name, String subject) throws IOException {
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", subject, "-ext", "bc:c", "-validity", "2",
        "-keystore", name + ".p12", "-storetype", "PKCS12");
    keytool("-exportcert", "-alias", name, "-keystore", name + ".p12", "-rfc",
        "-file", name + ".pem");
  }

  private void signedByCa(String name, String subject, String extension) throws IOException {
    String store = name + ".p12";
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", subject, "-validity", "2", "-keystore", store, "-storetype", "PKCS12");
    keytool("-certreq", "-alias", name, "-keystore", store, "-file", name + ".csr");
    List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca",
        "-keystore", "ca.p12", "-infile", name + ".csr", "-outfile", name + ".pem", "-rfc",
        "-validity", "2"));
    if (extension != null) {
      gencert.addAll(List.of("-ext", extension));
    }
    keytool(gencert.toArray(new String[0]));
    keytool("-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", store, "-noprompt");
    keytool("-importcert", "-alias", name, "-file", name + ".pem", "-keystore", store);
  }

  private void keytool(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    // a short-lived JVM: quick compilation and one GC thread start it sooner on a busy machine
    cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD)));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool timed out: " + String.join(" ", args));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool");
    }
    if (p.exitValue() != 0) {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      throw new IOException("keytool " + args[0] + " failed: " + out);
    }
  }
}
