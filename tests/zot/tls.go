package zot

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// testCA is a private CA the test makes: the servers' certificates come
// from it, and Dir holds its certificate as registry.caBundle mounts it
// (layout.CAFile in a folder of its own).
type testCA struct {
	Dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zot tier private CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(t, err)
	cert, err := x509.ParseCertificate(der)
	check(t, err)
	ca := &testCA{Dir: filepath.Join(t.TempDir(), "ca"), cert: cert, key: key, pool: x509.NewCertPool()}
	ca.pool.AddCert(cert)
	if err := os.MkdirAll(ca.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(ca.Dir, layout.CAFile), "CERTIFICATE", der)
	return ca
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// serverCert is a certificate for 127.0.0.1 signed by the CA, as a
// tls.Certificate and as files (dex reads files).
func (ca *testCA) serverCert(t testing.TB, dir, name string) (tls.Certificate, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	check(t, err)
	kd, err := x509.MarshalECPrivateKey(key)
	check(t, err)
	certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kd)
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	check(t, err)
	return pair, certFile, keyFile
}

// env is what the Helm values give zot with registry.caBundle: SSL_CERT_DIR
// naming the bundle's folder (here the CA's) and the image's own.
func (ca *testCA) env() string {
	return layout.EnvCertDir + "=" + strings.Replace(layout.CertDirs, layout.CADir, ca.Dir, 1)
}

// transport trusts the CA, as a browser of a company with that CA does.
func (ca *testCA) transport() http.RoundTripper {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12}
	return tr
}

// serveTLS is serve over TLS with cert.
func serveTLS(t testing.TB, h http.Handler, cert tls.Certificate) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	// Handshakes a client refuses are what the untrusting zot is expected
	// to do: not worth a line on the test's output.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "https://" + l.Addr().String()
}
