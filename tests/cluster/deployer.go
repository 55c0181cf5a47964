package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/tests/cluster/node"
)

// asDeployer makes the variant's stack run as node.UserDeployer, a user
// that holds only the ClusterRoles of the render's deployer-rbac.yaml,
// bound as docs/first-deploy.md says: in the stack's namespace with a
// RoleBinding, or cluster-wide where the program creates the namespace.
// Its ups, previews and destroy then prove the document is enough.
func (x *deployed) asDeployer(t testing.TB) {
	t.Helper()
	files, err := x.res.Files()
	require.NoError(t, err)
	roles, err := yamlStream(files[render.RBACFile])
	require.NoError(t, err)
	require.NotEmpty(t, roles, "the render's %s", render.RBACFile)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var made []map[string]any
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for i := len(made) - 1; i >= 0; i-- {
			_ = theNode.API.Delete(ctx, made[i])
		}
	})
	ownNamespace := x.res.Config.Registry.CreateNamespace
	if !ownNamespace { // the platform team made it
		ns := map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": x.ns}}
		require.NoError(t, apply(ctx, ns))
		made = append(made, ns) // removed last, after destroy
	}
	subject := []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": node.UserDeployer}}
	for _, role := range roles {
		require.NoError(t, apply(ctx, role))
		made = append(made, role)
		ref := map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name(role)}
		binding := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			"metadata": map[string]any{"name": name(role)}, "roleRef": ref, "subjects": subject}
		if !ownNamespace {
			binding["kind"] = "RoleBinding"
			binding["metadata"] = map[string]any{"name": name(role), "namespace": x.ns}
		}
		require.NoError(t, apply(ctx, binding))
		made = append(made, binding)
	}
	// The user holds nothing else: no nodes; bound in the namespace alone,
	// no other namespace's Secrets.
	closed := []string{"/api/v1/nodes"}
	if !ownNamespace {
		closed = append(closed, "/api/v1/namespaces/kube-system/secrets")
	}
	for _, path := range closed {
		code, err := asUser(ctx, node.UserDeployer, path)
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, code, "the deployer GETs %s", path)
	}
	x.sc.Values["kubernetes:kubeconfig"] = theNode.DeployerKubeconfig
}

// asUser GETs path on the API server as user and returns the status.
func asUser(ctx context.Context, user, path string) (int, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(theNode.API.CAPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, theNode.API.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+theNode.API.TokenOf(user))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// yamlStream decodes a YAML stream of objects.
func yamlStream(b []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
}
