package tier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/zot-registry/zot-registry/zot/layout"
)

// SSOUser is a user of the tiers' OpenID provider (dex).
type SSOUser struct {
	Email, Password string
	Groups          []string
	// Username is the provider's user name (its name and
	// preferred_username claims); empty, Email.
	Username string
}

// Name is the user's name in zot for the claim zot names users by
// (identity.usernameClaim).
func (u SSOUser) Name(claim string) string {
	if (claim == "preferred_username" || claim == "name") && u.Username != "" {
		return u.Username
	}
	return u.Email
}

// UIHeader marks a request as the web UI's: zot authenticates it by its
// session cookie (pkg/api/authn.go).
var UIHeader = map[string]string{"X-ZOT-API-CLIENT": "zot-ui"}

// anyScheme is a cookie jar that keeps and sends Secure cookies over plain
// http too, as a browser does behind a TLS-terminating ingress: zot sets
// Secure when secureSession is on (the tiers assert it).
type anyScheme struct{ jar *cookiejar.Jar }

func (a anyScheme) https(u *url.URL) *url.URL { c := *u; c.Scheme = "https"; return &c }
func (a anyScheme) SetCookies(u *url.URL, cs []*http.Cookie) {
	a.jar.SetCookies(a.https(u), cs)
}
func (a anyScheme) Cookies(u *url.URL) []*http.Cookie { return a.jar.Cookies(a.https(u)) }

// SSOSession is a logged-in web UI session.
type SSOSession struct {
	Cookies     []*http.Cookie // zot's, as the browser holds them
	RedirectURI string         // what zot sent to the provider
	Secure      bool           // the session cookie's Secure flag
	transport   http.RoundTripper
}

// SSOLogin walks zot's OpenID login as a browser does: zot's login URL,
// the provider's login form, the callback; it returns zot's session.
// transport carries every request (nil: the default one).
func SSOLogin(zotURL string, u SSOUser, transport http.RoundTripper) (*SSOSession, error) {
	if transport == nil {
		transport = http.DefaultTransport
	}
	jar, _ := cookiejar.New(nil)
	s := &SSOSession{transport: transport}
	client := &http.Client{Jar: anyScheme{jar}, Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if ru := req.URL.Query().Get("redirect_uri"); ru != "" && s.RedirectURI == "" {
				s.RedirectURI = ru
			}
			return nil
		}}
	client.Transport = &cookieSpy{next: transport, zot: zotURL, session: s}
	resp, err := client.Get(zotURL + "/zot/auth/login?provider=" + layout.OIDCProviderKey)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `name="password"`) {
		return nil, fmt.Errorf("login: got %s at %s, not the provider's login form: %.300s", resp.Status, resp.Request.URL, body)
	}
	form := url.Values{"login": {u.Email}, "password": {u.Password}}
	resp, err = client.PostForm(resp.Request.URL.String(), form)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), zotURL) {
		return nil, fmt.Errorf("login: ended at %s (%s), not back at zot: %.300s", resp.Request.URL, resp.Status, body)
	}
	zu, _ := url.Parse(zotURL)
	s.Cookies = jar.Cookies(&url.URL{Scheme: "https", Host: zu.Host, Path: "/"})
	if len(s.Cookies) == 0 {
		return nil, fmt.Errorf("login: back at zot (%s) without a session cookie", resp.Request.URL)
	}
	return s, nil
}

// cookieSpy notes whether zot's session cookie is Secure.
type cookieSpy struct {
	next    http.RoundTripper
	zot     string
	session *SSOSession
}

func (c *cookieSpy) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && strings.HasPrefix(r.URL.String(), c.zot) {
		for _, ck := range resp.Cookies() {
			if ck.Name == "session" && ck.Value != "" {
				c.session.Secure = ck.Secure
			}
		}
	}
	return resp, err
}

// Do sends a request with the session's cookies, as the UI does.
func (s *SSOSession) Do(method, url string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range UIHeader {
		req.Header.Set(k, v)
	}
	for _, c := range s.Cookies {
		req.AddCookie(c)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second, Transport: s.transport}).Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out, nil
}

// APIKey creates an API key for the session's user (POST /zot/auth/apikey,
// what the UI's API keys page does): the CLI credential of an SSO user.
func (s *SSOSession) APIKey(zotURL string) (string, error) {
	code, body, err := s.Do(http.MethodPost, zotURL+"/zot/auth/apikey", map[string]any{"label": "tier", "scopes": []string{}})
	if err != nil {
		return "", err
	}
	if code != http.StatusCreated && code != http.StatusOK {
		return "", fmt.Errorf("POST /zot/auth/apikey: %d %s", code, body)
	}
	var got struct {
		APIKey string `json:"apiKey"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.APIKey == "" {
		return "", fmt.Errorf("POST /zot/auth/apikey: no apiKey in %s", body)
	}
	return got.APIKey, nil
}
