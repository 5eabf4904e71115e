package io.protorpc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** The client's TLS context from PEM files, with the JDK alone. */
final class Tls {
  private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String KEY_END = "-----END PRIVATE KEY-----";

  private Tls() {}

  /**
   * @param caCert PEM certificates to trust; null: the JDK's default trust store
   * @param cert PEM certificate chain to present (mutual TLS), with {@code key}; or null
   * @param key its private key, PEM PKCS#8 unencrypted ({@code BEGIN PRIVATE KEY}); or null
   */
  static SSLContext context(Path caCert, Path cert, Path key) throws CliException {
    if ((cert == null) != (key == null)) {
      throw CliException.usage("--cert and --key go together");
    }
    try {
      TrustManagerFactory tmf = null;
      if (caCert != null) {
        KeyStore trust = emptyStore();
        int i = 0;
        for (Certificate c : certificates(caCert)) {
          trust.setCertificateEntry("ca-" + i++, c);
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (cert != null) {
        char[] password = new char[0];
        KeyStore identity = emptyStore();
        identity.setKeyEntry("client", privateKey(key), password,
            certificates(cert).toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity, password);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw CliException.local("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return store;
  }

  private static List<Certificate> certificates(Path pem) throws CliException {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw CliException.usage(pem + " holds no certificate");
      }
      return List.copyOf(certs);
    } catch (IOException e) {
      throw CliException.local("cannot read " + pem + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw CliException.usage(pem + " holds no PEM certificate: " + e.getMessage());
    }
  }

  private static PrivateKey privateKey(Path pem) throws CliException {
    String text;
    try {
      text = Files.readString(pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw CliException.local("cannot read " + pem + ": " + e.getMessage(), e);
    }
    int begin = text.indexOf(KEY_BEGIN);
    int end = text.indexOf(KEY_END);
    if (begin < 0 || end < begin) {
      throw CliException.usage(pem + " holds no unencrypted PKCS#8 key ('" + KEY_BEGIN
          + "'); convert one with: openssl pkcs8 -topk8 -nocrypt -in KEY -out " + pem);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
    } catch (IllegalArgumentException e) {
      throw CliException.usage(pem + ": the key is not base64: " + e.getMessage());
    }
    for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException tryNext) {
        // not this algorithm
      }
    }
    throw CliException.usage(pem + ": not an RSA, EC or EdDSA private key");
  }
}
