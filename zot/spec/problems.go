package spec

import (
	"fmt"
	"strings"
)

// FieldError is one bad config value: which key, what is wrong, what to do.
type FieldError struct {
	Key     string // full key, e.g. zot-registry:registry.externalUrl
	Problem string
	Fix     string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("config %s: %s; %s", e.Key, e.Problem, e.Fix)
}

// Errors is every problem found in one pass, so a user fixes them all at once.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	if len(es) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d config problems:\n  %s", len(es), strings.Join(lines, "\n  "))
}

// Keys lists the keys that have an error, in order.
func (es Errors) Keys() []string {
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.Key
	}
	return keys
}

// Vocabulary names keys and secret values in the caller's words: a
// stack's config keys (zot-registry:registry.externalUrl, set with pulumi
// config) or a component's input paths (registry.externalUrl, inputs).
// Validation keys every problem through one, so no caller rewrites them.
type Vocabulary struct {
	prefix string
	give   func(key string) string // how a secret value is given
	remove func(key string) string // how a secret value is taken away
}

// StackConfig is a stack's vocabulary: keys with the project prefix, secret
// values through pulumi config.
var StackConfig = Vocabulary{
	prefix: Project + ":",
	give:   func(k string) string { return "pulumi config set --secret " + k + " <value>" },
	remove: func(k string) string { return "pulumi config rm " + k },
}

// ComponentInputs is the component package's vocabulary: input paths,
// secret values as inputs.
var ComponentInputs = Vocabulary{
	give:   func(k string) string { return "set the " + k + " input (a secret)" },
	remove: func(k string) string { return "leave the " + k + " input unset" },
}

// Key is a setting's path (registry.externalUrl) in the vocabulary.
func (v Vocabulary) Key(path string) string { return v.prefix + path }

// secretValue: a missing or plain secret value, keyed and fixed in the
// caller's words. Keys of other packages (authentik:token) are config in
// every vocabulary.
func (v Vocabulary) secretValue(key string) (full, give, remove string) {
	if strings.Contains(key, ":") {
		return key, StackConfig.give(key), StackConfig.remove(key)
	}
	return v.Key(key), v.give(key), v.remove(key)
}

// Collector gathers FieldErrors under one top-level key.
type Collector struct {
	Errs  *Errors
	Key   string // e.g. zot-registry:registry
	Words Vocabulary
}

// secret checks a secret value (oidcClientSecret, or another package's
// config key such as authentik:token): present when required, and a
// secret, so it never sits in a stack file in clear text.
func (c Collector) secret(src Source, key string, required bool, missing string) {
	full, give, _ := c.Words.secretValue(key)
	switch given, secret := src.Secret(key); {
	case !given:
		if required {
			*c.Errs = append(*c.Errs, &FieldError{Key: full, Problem: "is missing; " + missing, Fix: give})
		}
	case !secret:
		*c.Errs = append(*c.Errs, &FieldError{Key: full, Problem: "is stored in plain text", Fix: "set it again with " + give})
	}
}

// unwanted reports a secret value given where nothing reads it.
func (c Collector) unwanted(src Source, key, problem, orFix string) {
	if given, _ := src.Secret(key); !given {
		return
	}
	full, _, remove := c.Words.secretValue(key)
	fix := "remove it (" + remove + ")"
	if orFix != "" {
		fix += ", or " + orFix
	}
	*c.Errs = append(*c.Errs, &FieldError{Key: full, Problem: problem, Fix: fix})
}

func (c Collector) Add(field, problem, fix string, args ...any) {
	key := c.Key
	if field != "" {
		key += "." + field
	}
	*c.Errs = append(*c.Errs, &FieldError{Key: key, Problem: problem, Fix: fmt.Sprintf(fix, args...)})
}
