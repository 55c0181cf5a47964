// Package kube runs a real kube-apiserver (with its etcd) on 127.0.0.1 for
// the integration tier, and talks to it over plain HTTPS: server-side apply,
// discovery, reads. It needs only the two binaries that build.sh makes.
//
// Nothing listens beyond loopback, credentials are generated per start, and
// Stop always removes the processes and their folder; the processes also get
// SIGKILL if the test binary dies without calling Stop.
package kube

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// BinEnv names the folder holding kube-apiserver and etcd (build.sh prints it).
const BinEnv = "ZOT_KUBE_BIN"

// Options configure Start.
type Options struct {
	BinDir       string        // folder with kube-apiserver and etcd
	ReadyTimeout time.Duration // for etcd and /readyz together; default 90s
	Log          func(format string, args ...any)

	// What a whole cluster (tests/cluster) needs beside the defaults of
	// the integration tier, which sets none of these.

	// Dir is the working folder (certificates, logs, etcd's data); default
	// a new temporary folder. Stop removes it either way.
	Dir string
	// ServiceCIDR is --service-cluster-ip-range; default 10.96.0.0/24.
	ServiceCIDR string
	// ServingIPs are more addresses the serving certificate names (the
	// kubernetes Service's cluster IP, the node's address).
	ServingIPs []net.IP
	// Users get static tokens of their own (Token(name)), for components
	// that authenticate as themselves: the kubelet as system:node:<node>
	// in group system:nodes, the controller manager, the scheduler.
	Users []User
	// Authorization is --authorization-mode; default RBAC.
	Authorization string
	// APIServerArgs are more kube-apiserver flags.
	APIServerArgs []string
	// KeepDir leaves Dir (the logs) in place on Stop, for a failed run's
	// diagnosis; whoever set Dir removes it.
	KeepDir bool
	// KubeletClient gives the API server a client certificate from its CA
	// for kubelets (logs, exec): a kubelet that trusts that CA (its
	// clientCAFile is CAFile) serves pod logs through the API.
	KubeletClient bool
}

// User is a static-token user of the API server.
type User struct {
	Name   string
	Groups []string
}

// Server is a running kube-apiserver with its etcd.
type Server struct {
	URL     string // https://127.0.0.1:<port>
	Token   string // bearer token of a system:masters user
	CAPEM   []byte // the CA that signed the serving certificate
	Started time.Duration
	dir     string
	procs   []*proc
	client  *http.Client
	creds   *credentials
	keep    bool
	stop    sync.Once
	log     func(string, ...any)

	mu        sync.Mutex
	resources map[string]APIResource // "group/version/Kind"
}

// Start generates certificates and a token, starts etcd and kube-apiserver on
// free loopback ports and waits until /readyz answers ok.
func Start(ctx context.Context, opts Options) (s *Server, err error) {
	begin := time.Now()
	if opts.BinDir == "" {
		return nil, fmt.Errorf("kube: no binary folder: set %s to the folder tests/kube/build.sh prints", BinEnv)
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return nil, fmt.Errorf("kube: %s not found in %s (%s): run tests/kube/build.sh", bin, opts.BinDir, BinEnv)
		}
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 90 * time.Second
	}
	if opts.Log == nil {
		opts.Log = func(string, ...any) {}
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "zot-kube-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if opts.ServiceCIDR == "" {
		opts.ServiceCIDR = "10.96.0.0/24"
	}
	if opts.Authorization == "" {
		opts.Authorization = "RBAC"
	}
	s = &Server{dir: dir, keep: opts.KeepDir, log: opts.Log, resources: map[string]APIResource{}}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()

	creds, err := writeCredentials(dir, opts.Users, opts.ServingIPs)
	if err != nil {
		return nil, err
	}
	s.creds = creds
	if opts.KubeletClient {
		crt, key, err := creds.clientCert(dir, "kube-apiserver-kubelet-client", "system:masters")
		if err != nil {
			return nil, err
		}
		opts.APIServerArgs = append(opts.APIServerArgs, "--kubelet-client-certificate="+crt, "--kubelet-client-key="+key,
			"--kubelet-preferred-address-types=InternalIP")
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	s.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	s.Token = creds.token
	s.CAPEM = creds.caPEM

	deadline, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()

	if err := s.spawn("etcd", filepath.Join(opts.BinDir, "etcd"),
		"--name=zot-kube",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=zot-kube="+peerURL,
		"--listen-metrics-urls=", "--log-level=warn",
		"--unsafe-no-fsync", // a throw-away store: durability costs seconds
	); err != nil {
		return nil, err
	}
	plain := &http.Client{Timeout: 2 * time.Second}
	if err := s.waitFor(deadline, "etcd", func() error { return get(plain, etcdURL+"/health", "") }); err != nil {
		return nil, err
	}

	if err := s.spawn("kube-apiserver", filepath.Join(opts.BinDir, "kube-apiserver"), append([]string{
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports[2]),
		"--etcd-servers=" + etcdURL,
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--tls-cert-file=" + creds.servingCert, "--tls-private-key-file=" + creds.servingKey,
		"--token-auth-file=" + creds.tokenFile,
		"--authorization-mode=" + opts.Authorization,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + creds.saKey,
		"--service-account-signing-key-file=" + creds.saKey,
		"--service-cluster-ip-range=" + opts.ServiceCIDR,
		"--endpoint-reconciler-type=none", // no controllers, no kubernetes Service endpoints
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=0",
	}, opts.APIServerArgs...)...); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(creds.caPEM)
	s.client = &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	if err := s.waitFor(deadline, "kube-apiserver", func() error { return get(s.client, s.URL+"/readyz", s.Token) }); err != nil {
		return nil, err
	}
	s.Started = time.Since(begin)
	s.log("kube-apiserver ready at %s after %s", s.URL, s.Started.Round(time.Millisecond))
	return s, nil
}

// proc is one started binary; done closes when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// spawn starts a binary in its own process group, logging to <dir>/<name>.log.
func (s *Server) spawn(name, bin string, args ...string) error {
	return s.spawnEnv(name, bin, nil, args...)
}

// Spawn starts a binary beside the server with extra environment variables
// (KEY=value), logging to <Dir>/<name>.log; Stop stops it before the server
// (the last started first). Wait for it with WaitFor.
func (s *Server) Spawn(name, bin string, env []string, args ...string) error {
	return s.spawnEnv(name, bin, env, args...)
}

// WaitFor polls check until it succeeds, the context ends or a process
// Spawn started exits (the error then carries the end of its log).
func (s *Server) WaitFor(ctx context.Context, name string, check func() error) error {
	return s.waitFor(ctx, name, check)
}

// LogTail is the end of the log of a process started by name.
func (s *Server) LogTail(name string) string { return s.logTail(name) }

// LogPath is the file a process started by name logs to.
func (s *Server) LogPath(name string) string { return filepath.Join(s.dir, name+".log") }

// spawnEnv is spawn with extra environment variables (KEY=value).
func (s *Server) spawnEnv(name, bin string, env []string, args ...string) error {
	logFile, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group (an interrupt of the test run reaches us, and we stop
	// them in order); SIGKILL if this process dies without Stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("kube: start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	s.procs = append(s.procs, p)
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return nil
}

// waitFor polls check until it succeeds, the deadline passes or a process exits.
func (s *Server) waitFor(ctx context.Context, name string, check func() error) error {
	var last error
	for {
		for _, p := range s.procs {
			if p.exited() {
				return fmt.Errorf("kube: %s exited before %s was ready (%w); its log ends:\n%s", p.name, name, p.err, s.logTail(p.name))
			}
		}
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube: %s not ready: %w; log:\n%s", name, last, s.logTail(name))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail is the end of a process's log, for error messages.
func (s *Server) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop terminates the processes (SIGTERM, then SIGKILL after 10 s) and
// removes the folder with the credentials and etcd's data. Safe to call twice.
func (s *Server) Stop() {
	s.stop.Do(func() {
		for i := len(s.procs) - 1; i >= 0; i-- { // ESO, then apiserver, then etcd
			p := s.procs[i]
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
				<-p.done
			}
		}
		if s.dir != "" && !s.keep {
			_ = os.RemoveAll(s.dir)
		}
	})
}

// Alive lists the process groups the server started that the kernel still
// knows (tests use it to prove Stop cleaned up).
func (s *Server) Alive() []int {
	var pids []int
	for _, p := range s.procs {
		if syscall.Kill(-p.cmd.Process.Pid, 0) == nil {
			pids = append(pids, p.cmd.Process.Pid)
		}
	}
	return pids
}

// Dir is the server's working folder (certificates, logs, etcd data).
func (s *Server) Dir() string { return s.dir }

// CAFile is the CA that signed the serving certificate, as a file (the
// controller manager's --root-ca-file).
func (s *Server) CAFile() string { return s.creds.caFile }

// ServiceAccountKeyFile is the key that signs service-account tokens.
func (s *Server) ServiceAccountKeyFile() string { return s.creds.saKey }

// TokenOf is the static token of a user in Options.Users ("" if none).
func (s *Server) TokenOf(user string) string { return s.creds.tokens[user] }

func get(c *http.Client, url, token string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(body.String()))
	}
	return nil
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// credentials are the files kube-apiserver is started with.
type credentials struct {
	caPEM                   []byte
	caFile                  string
	servingCert, servingKey string
	saKey                   string
	tokenFile, token        string
	tokens                  map[string]string // by user, for Options.Users
	ca                      *x509.Certificate
	caKey                   *ecdsa.PrivateKey
}

// writeCredentials makes a CA, a serving certificate for 127.0.0.1,
// localhost and ips (with the kubernetes Service's names when there are
// any), a service-account signing key and static tokens: one of a
// system:masters user, one per user. Everything is new on every start.
func writeCredentials(dir string, users []User, ips []net.IP) (*credentials, error) {
	c := &credentials{
		caFile:      filepath.Join(dir, "ca.crt"),
		servingCert: filepath.Join(dir, "serving.crt"),
		servingKey:  filepath.Join(dir, "serving.key"),
		saKey:       filepath.Join(dir, "service-account.key"),
		tokenFile:   filepath.Join(dir, "tokens.csv"),
		tokens:      map[string]string{},
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "zot-registry integration CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	c.ca, c.caKey = ca, caKey
	c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(c.caFile, c.caPEM, 0o644); err != nil {
		return nil, err
	}

	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  append([]net.IP{net.ParseIP("127.0.0.1")}, ips...),
		DNSNames:     []string{"localhost"},
	}
	if len(ips) > 0 {
		// How pods and in-cluster clients name the API server.
		srvTmpl.DNSNames = append(srvTmpl.DNSNames, "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(c.servingCert, "CERTIFICATE", srvDER); err != nil {
		return nil, err
	}
	if err := writeKey(c.servingKey, srvKey); err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := writeKey(c.saKey, saKey); err != nil {
		return nil, err
	}

	if c.token, err = newToken(); err != nil {
		return nil, err
	}
	// token,user,uid,"group,...": system:masters bypasses RBAC.
	lines := c.token + `,zot-integration,zot-integration,"system:masters"` + "\n"
	for _, u := range users {
		t, err := newToken()
		if err != nil {
			return nil, err
		}
		c.tokens[u.Name] = t
		lines += fmt.Sprintf("%s,%s,%s,%q\n", t, u.Name, u.Name, strings.Join(u.Groups, ","))
	}
	if err := os.WriteFile(c.tokenFile, []byte(lines), 0o600); err != nil {
		return nil, err
	}
	return c, nil
}

// newToken is 24 random bytes in hex.
func newToken() (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return hex.EncodeToString(raw), nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "EC PRIVATE KEY", der)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// clientCert writes a client certificate (CN user, O group) signed by the
// CA into dir and returns its certificate and key files.
func (c *credentials) clientCert(dir, user, group string) (string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: user, Organization: []string{group}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca, &key.PublicKey, c.caKey)
	if err != nil {
		return "", "", err
	}
	crt, keyFile := filepath.Join(dir, user+".crt"), filepath.Join(dir, user+".key")
	if err := writePEM(crt, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return crt, keyFile, writeKey(keyFile, key)
}
