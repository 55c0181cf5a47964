package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FieldManager is the server-side apply manager of everything the tier applies.
const FieldManager = "zot-registry-integration"

// APIResource is one entry of the server's discovery.
type APIResource struct {
	Name       string `json:"name"` // the plural, used in paths
	Namespaced bool   `json:"namespaced"`
	Kind       string `json:"kind"`
}

// StatusError is a request the server refused, with its own message.
type StatusError struct {
	Code    int
	Reason  string
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message)
}

// ApplyOptions tune one server-side apply.
type ApplyOptions struct {
	DryRun bool // dryRun=All: validated and admitted, not stored
}

// Apply server-side applies one object (force, strict field validation: an
// unknown or duplicated field is an error, as `kubectl apply` treats it) and
// returns the object the server stored.
func (s *Server) Apply(ctx context.Context, obj map[string]any, opts ApplyOptions) (map[string]any, error) {
	path, err := s.objectPath(ctx, obj)
	if err != nil {
		return nil, err
	}
	q := url.Values{"fieldManager": {FieldManager}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if opts.DryRun {
		q.Set("dryRun", "All")
	}
	body, err := json.Marshal(obj) // JSON is YAML: the apply-patch type takes it
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = s.do(ctx, http.MethodPatch, path+"?"+q.Encode(), "application/apply-patch+yaml", body, &out)
	return out, err
}

// Delete deletes one object (a namespace is left alone: without the
// namespace controller it would never finish terminating).
func (s *Server) Delete(ctx context.Context, obj map[string]any) error {
	path, err := s.objectPath(ctx, obj)
	if err != nil {
		return err
	}
	if err := s.do(ctx, http.MethodDelete, path, "", nil, nil); err != nil {
		return err
	}
	if obj["kind"] == "PersistentVolumeClaim" {
		// The pvc-protection finalizer is removed by the controller manager
		// once no pod uses the claim; there is none here, and no pod.
		return s.do(ctx, http.MethodPatch, path, "application/merge-patch+json", []byte(`{"metadata":{"finalizers":null}}`), nil)
	}
	return nil
}

// Get reads an object by apiVersion, kind, namespace and name.
func (s *Server) Get(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error) {
	path, err := s.objectPath(ctx, map[string]any{
		"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": name, "namespace": namespace},
	})
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, s.do(ctx, http.MethodGet, path, "", nil, &out)
}

// List reads the objects of a kind, in one namespace ("" for all or a
// cluster-scoped kind), matching a label selector ("" for all).
func (s *Server) List(ctx context.Context, apiVersion, kind, namespace, selector string) ([]map[string]any, error) {
	res, err := s.resource(ctx, apiVersion, kind)
	if err != nil {
		return nil, err
	}
	path := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		path = "/api/" + apiVersion
	}
	if res.Namespaced && namespace != "" {
		path += "/namespaces/" + url.PathEscape(namespace)
	}
	path += "/" + res.Name
	if selector != "" {
		path += "?" + url.Values{"labelSelector": {selector}}.Encode()
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := s.do(ctx, http.MethodGet, path, "", nil, &list); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// Do sends one request to the API server as the system:masters user and
// decodes a JSON answer into out (when not nil); a refusal is a *StatusError.
func (s *Server) Do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	return s.do(ctx, method, path, contentType, body, out)
}

// WaitFinalized waits until a controller has put a finalizer on obj (its
// first write back) and returns the object as stored then.
func (s *Server) WaitFinalized(ctx context.Context, obj map[string]any, timeout time.Duration) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	meta, _ := obj["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	for {
		got, err := s.Get(ctx, fmt.Sprint(obj["apiVersion"]), fmt.Sprint(obj["kind"]), ns, name)
		if err == nil {
			m, _ := got["metadata"].(map[string]any)
			if f, _ := m["finalizers"].([]any); len(f) > 0 {
				return got, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kube: %v %s/%s has no finalizer after %s: %w", obj["kind"], ns, name, timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitEstablished waits until a CustomResourceDefinition serves its kinds.
func (s *Server) WaitEstablished(ctx context.Context, crd string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		obj, err := s.Get(ctx, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", crd)
		if err == nil && hasCondition(obj, "Established") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube: CRD %s not established: %w", crd, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func hasCondition(obj map[string]any, typ string) bool {
	status, _ := obj["status"].(map[string]any)
	conds, _ := status["conditions"].([]any)
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == "True" {
			return true
		}
	}
	return false
}

// objectPath is the REST path of an object, from discovery.
func (s *Server) objectPath(ctx context.Context, obj map[string]any) (string, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if apiVersion == "" || kind == "" {
		return "", fmt.Errorf("kube: object has no apiVersion/kind: %v", obj)
	}
	if name == "" {
		return "", fmt.Errorf("kube: %s %s has no metadata.name", apiVersion, kind)
	}
	res, err := s.resource(ctx, apiVersion, kind)
	if err != nil {
		return "", err
	}
	prefix := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		prefix = "/api/" + apiVersion
	}
	if res.Namespaced {
		if ns == "" {
			return "", fmt.Errorf("kube: %s %s is namespaced but has no metadata.namespace", kind, name)
		}
		prefix += "/namespaces/" + url.PathEscape(ns)
	}
	return prefix + "/" + res.Name + "/" + url.PathEscape(name), nil
}

// resource finds a kind in discovery. A group that appeared since the last
// look (a CRD just established) is fetched again.
func (s *Server) resource(ctx context.Context, apiVersion, kind string) (APIResource, error) {
	key := apiVersion + "/" + kind
	s.mu.Lock()
	res, ok := s.resources[key]
	s.mu.Unlock()
	if ok {
		return res, nil
	}
	path := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		path = "/api/" + apiVersion
	}
	var list struct {
		Resources []APIResource `json:"resources"`
	}
	if err := s.do(ctx, http.MethodGet, path, "", nil, &list); err != nil {
		return APIResource{}, fmt.Errorf("kube: discovery of %s: %w", apiVersion, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range list.Resources {
		if strings.Contains(r.Name, "/") { // subresources such as status
			continue
		}
		s.resources[apiVersion+"/"+r.Kind] = r
	}
	if res, ok = s.resources[key]; !ok {
		return APIResource{}, fmt.Errorf("kube: the server does not serve kind %s in %s", kind, apiVersion)
	}
	return res, nil
}

func (s *Server) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var st struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &st) != nil || st.Message == "" {
			st.Message = strings.TrimSpace(string(data))
		}
		return &StatusError{Code: resp.StatusCode, Reason: st.Reason, Message: st.Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
