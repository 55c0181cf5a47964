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

// Collector gathers FieldErrors under one top-level key.
type Collector struct {
	Errs *Errors
	Key  string // e.g. zot-registry:registry
}

func (c Collector) Add(field, problem, fix string, args ...any) {
	key := c.Key
	if field != "" {
		key += "." + field
	}
	*c.Errs = append(*c.Errs, &FieldError{Key: key, Problem: problem, Fix: fmt.Sprintf(fix, args...)})
}
