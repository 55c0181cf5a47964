package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zot-registry/zot-registry/outputs"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// docRow is one table row of a docs page: one key of its first column,
// and the row's other cells.
type docRow struct {
	key   string
	cells []string
}

// sectionRows reads every table row in one section of a page, a row per
// key ("| `a`, `b` | …" documents a and b; "`resources.requests.cpu`,
// `.memory`": the dot repeats the previous key's parent).
func sectionRows(t *testing.T, page, heading string) []docRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", page))
	require.NoError(t, err)
	text := string(b)
	start := strings.Index(text, heading)
	require.GreaterOrEqual(t, start, 0, "docs/%s has no section %q", page, heading)
	text = text[start+len(heading):]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	var out []docRow
	row := regexp.MustCompile("(?m)^\\| ((?:`[^`]+`(?:, )?)+) \\|(.*)$")
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(m[2], " "), " |"), " | ")
		prev := ""
		for _, k := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(m[1], -1) {
			key := k[1]
			if strings.HasPrefix(key, ".") && strings.Contains(prev, ".") {
				key = prev[:strings.LastIndex(prev, ".")] + key
			}
			out = append(out, docRow{key, cells})
			prev = key
		}
	}
	return out
}

// documented reads the first column of every table row in one section.
func documented(t *testing.T, page, heading string) []string {
	t.Helper()
	var out []string
	for _, r := range sectionRows(t, page, heading) {
		out = append(out, r.key)
	}
	return out
}

// TestConfigReferenceMatchesTheCode: docs/configuration.md documents every
// setting the config package reads, and none it does not.
func TestConfigReferenceMatchesTheCode(t *testing.T) {
	for _, key := range spec.Keys {
		t.Run(key, func(t *testing.T) {
			var want []string
			for _, p := range spec.Paths() {
				if rest, ok := strings.CutPrefix(p, key+"."); ok {
					want = append(want, rest)
				}
			}
			got := documented(t, "configuration.md", "## `"+spec.FullKey(key)+"`")
			sort.Strings(want)
			sort.Strings(got)
			assert.Equal(t, want, got, "docs/configuration.md's table for %s", spec.FullKey(key))
		})
	}
}

// TestOutputsReferenceMatchesTheCode: docs/outputs.md lists every stack
// output the program exports, and nothing else.
func TestOutputsReferenceMatchesTheCode(t *testing.T) {
	got := documented(t, "outputs.md", "# Stack outputs")
	want := append([]string(nil), outputs.Names...)
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)
}

// TestREADMEIsAMap: the README stays short and links every docs page.
func TestREADMEIsAMap(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	assert.Less(t, len(readme), 10*1024, "README.md is over 10 KB: move detail into docs/")
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, pages)
	for _, p := range pages {
		name := filepath.Base(p)
		if name == "README.md" {
			continue
		}
		assert.Contains(t, string(readme), "](docs/"+name+")", "the README does not link docs/%s", name)
	}
}

// TestDocsLinksResolve: every relative link in any Markdown file of the
// repository (the README, docs/, examples) points at a file that exists
// (one click from the README, never a 404).
func TestDocsLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#:]+)(#[^)]*)?\)`)
	pages := 0
	for _, p := range citable(t) {
		if filepath.Ext(p) != ".md" {
			continue
		}
		pages++
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, p)
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			_, err := os.Stat(filepath.Join(filepath.Dir(p), m[1]))
			assert.NoError(t, err, "%s links to %s, which is not in the repository", rel, m[1])
		}
	}
	assert.Greater(t, pages, 10, "the README and the docs pages")
}

// citable are the files a reader can open in a clone: the docs, the code's
// comments, the scripts and the workflows (test data aside).
func citable(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") && name != ".ci" && name != ".github" || name == "testdata" || name == "out" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(name) {
		case ".md", ".go", ".sh", ".yaml", ".yml", ".ts":
			files = append(files, p)
		case "":
			if filepath.Base(filepath.Dir(p)) == ".ci" {
				files = append(files, p)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestDocsCiteWhatAReaderCanOpen: every claim cites something a reader of
// this repository can open. Refused: the workplace's notes (FACTS), an issue
// number with no project before it (this project's tracker is not public),
// and a path into this repository that does not exist (relative links:
// TestDocsLinksResolve). An upstream path (zot's `pkg/api/proxy.go`) is one whose
// folder this repository does not have.
func TestDocsCiteWhatAReaderCanOpen(t *testing.T) {
	facts := regexp.MustCompile(`\bFACTS(\.md\b|:)`)
	// The word before is the project; "//" or "(" is none.
	issue := regexp.MustCompile(`(?i)(?:^|[^\w/.-])(?:([\w./-]*[a-z][\w./-]*)\s+)?(issues?|PR)\s+#?(\d+)\b`)
	notAProject := map[string]bool{"": true, "the": true, "this": true, "our": true, "an": true, "a": true, "see": true,
		"in": true, "from": true, "by": true, "for": true, "and": true, "of": true, "with": true, "per": true, "as": true}
	ours, err := os.ReadDir(root)
	require.NoError(t, err)
	top := map[string]bool{}
	for _, e := range ours {
		top[e.Name()] = true
	}
	path := regexp.MustCompile("`([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]*)`")
	for _, f := range citable(t) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, f)
		// The project may end the line before ("pulumi-kubernetes\nissues 895").
		for _, m := range issue.FindAllStringSubmatchIndex(string(b), -1) {
			project := strings.ToLower(string(b[max(m[2], 0):max(m[3], 0)]))
			assert.False(t, notAProject[project], "%s:%d cites %s with no project: name the upstream project (terraform-provider-aws issue 25660) or write the finding out",
				rel, 1+strings.Count(string(b[:m[0]]), "\n"), b[m[4]:m[7]])
		}
		for i, line := range strings.Split(string(b), "\n") {
			at := rel + ":" + strconv.Itoa(i+1)
			assert.False(t, facts.MatchString(line), "%s cites the workplace's notes, which a reader cannot open: write the fact out, or cite its upstream source\n\t%s", at, line)
			for _, m := range path.FindAllStringSubmatch(line, -1) {
				p := strings.TrimSuffix(m[1], "/")
				if !top[strings.SplitN(p, "/", 2)[0]] {
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.Dir(p))); err != nil {
					continue // an upstream path: this repository has no such folder
				}
				_, err := os.Stat(filepath.Join(root, p))
				assert.NoError(t, err, "%s names `%s`, which is not in the repository", at, m[1])
			}
		}
	}
}

// TestFirstDeployNamesWhatExists: every setting docs/first-deploy.md names
// is a key the program reads, every output it names is one the stack
// exports, and every page it links is there (TestDocsLinksResolve), so the
// walk through a first deploy never sends a reader to something missing.
func TestFirstDeployNamesWhatExists(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "first-deploy.md"))
	require.NoError(t, err)
	page := string(b)
	keys := map[string]bool{}
	for _, k := range spec.Paths() {
		{
			// A group (secrets.store) names its settings together.
			for p := k; p != ""; p, _ = cutLast(p, ".") {
				keys[p] = true
			}
		}
	}
	setting := regexp.MustCompile("`((?:registry|storage|identity|secrets)\\.[A-Za-z.]+)`")
	named := setting.FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, named)
	for _, m := range named {
		assert.True(t, keys[m[1]], "docs/first-deploy.md names %s, which is not a setting", m[1])
	}
	exported := map[string]bool{}
	for _, n := range outputs.Names {
		exported[n] = true
	}
	output := regexp.MustCompile("pulumi stack output ([A-Za-z]+)|`([A-Za-z]+)` output|pulumi stack output +# ([A-Za-z]+(?:, [A-Za-z]+)*)")
	found := 0
	for _, m := range output.FindAllStringSubmatch(page, -1) {
		for _, names := range m[1:] {
			for _, n := range strings.Split(names, ", ") {
				if n == "" {
					continue
				}
				found++
				assert.True(t, exported[n], "docs/first-deploy.md names the output %s, which the stack does not export", n)
			}
		}
	}
	assert.Greater(t, found, 3, "the page names the outputs it verifies with")
}

// cutLast cuts s around the last sep: "a.b.c" → "a.b", "c".
func cutLast(s, sep string) (string, string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s
	}
	return s[:i], s[i+len(sep):]
}

// TestPushRuleIsStatedRight: every ESO mode pushes what the program knows,
// and modes push and kubernetes both generate the robots' passwords and the
// metrics login. Pages once said a writable store, registryPasswords and
// the metrics Secret were push mode's alone, and that store mode reads
// "values already in the store". The reference's rows count (they are made
// from the settings' declarations).
func TestPushRuleIsStatedRight(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(root, "README.md"))
	pushOnly := regexp.MustCompile("(?i)mode `?push`?|push mode")
	alsoOthers := regexp.MustCompile("`kubernetes`|modes? kubernetes|push and kubernetes|push, kubernetes|both")
	writable := regexp.MustCompile(`(?i)accepts? (writes|pushes)|writable`)
	for _, page := range pages {
		if filepath.Base(page) == "development.md" {
			continue
		}
		b, err := os.ReadFile(page)
		require.NoError(t, err)
		for _, s := range statements(string(b)) {
			generated := strings.Contains(s, "registryPasswords") || strings.Contains(s, "metrics-auth")
			if (generated || writable.MatchString(s)) && pushOnly.MatchString(s) && !alsoOthers.MatchString(s) {
				t.Errorf("docs/%s says this of push mode alone: %q", filepath.Base(page), s)
			}
			assert.NotContains(t, s, "values already in the store", "docs/%s: store mode pushes what the program knows", filepath.Base(page))
		}
	}
}

// statements are a page's table rows, each whole, and its other text's
// sentences, each on one line.
func statements(page string) []string {
	var out []string
	var para []string
	flush := func() {
		for _, s := range strings.SplitAfter(strings.Join(para, " "), ". ") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		para = nil
	}
	for _, line := range strings.Split(page, "\n") {
		switch {
		case strings.HasPrefix(line, "|"):
			flush()
			out = append(out, line)
		case strings.TrimSpace(line) == "":
			flush()
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	return out
}

// TestVaultSeedingNamesEveryKeyStoreModeReads: the store-mode seeding
// commands in docs/secrets.md write every remote key that a dev stack in
// store mode reads and does not push (they once left out the S3 secret key).
func TestVaultSeedingNamesEveryKeyStoreModeReads(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "secrets.md"))
	require.NoError(t, err)
	var keys spec.RemoteKeys
	for _, k := range keys.All() {
		if strings.HasPrefix(k.Field, "oidc") {
			continue // the program pushes every OpenID client
		}
		assert.Contains(t, string(b), "vault kv put secret/"+spec.DefaultRemoteKey("dev", k.Value)+" ", "docs/secrets.md seeds no %s", k.Field)
	}
}

// TestConfigSetCommandsNameWhatExists: every `pulumi config set` a user
// page or the README shows names a key the program reads (a setting path
// with --path, a secret key such as oidcClientSecret), a provider key the
// program or its providers read, or a key of the example program the
// command is written for; a renamed setting fails it.
func TestConfigSetCommandsNameWhatExists(t *testing.T) {
	known := map[string]bool{}
	for _, k := range spec.Paths() {
		known[k] = true
	}
	for _, k := range spec.SecretKeys {
		known[k] = true
	}
	for _, k := range []string{spec.AuthentikURLKey, spec.AuthentikTokenKey, "kubernetes:context", "kubernetes:kubeconfig", "kubernetes:cluster"} {
		known[k] = true
	}
	consumer, err := os.ReadFile(filepath.Join(root, "examples", "platform-consumer", "Pulumi.yaml"))
	require.NoError(t, err)
	declared := regexp.MustCompile(`(?m)^  ([A-Za-z]+):$`)
	for _, m := range declared.FindAllStringSubmatch(string(consumer), -1) {
		known[m[1]] = true // docs/outputs.md sets up the consumer example
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(root, "README.md"))
	command := regexp.MustCompile(`pulumi config set((?: +--[a-z]+)*) +([A-Za-z][A-Za-z0-9:.\[\]]*)`)
	found := 0
	for _, page := range pages {
		if filepath.Base(page) == "development.md" {
			continue
		}
		b, err := os.ReadFile(page)
		require.NoError(t, err)
		for _, m := range command.FindAllStringSubmatch(string(b), -1) {
			key := strings.TrimPrefix(m[2], spec.Project+":")
			found++
			assert.True(t, known[key], "%s: `pulumi config set%s %s` names no key the program reads", filepath.Base(page), m[1], m[2])
		}
	}
	assert.Greater(t, found, 8, "the pages show their config commands")
}
