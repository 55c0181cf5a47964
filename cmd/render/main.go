// Command render evaluates the program for one stack offline, under Pulumi
// mocks, and writes what `pulumi up` would deploy:
//
//	go run ./cmd/render -stack dev -out out/dev [-check]
//
// It reads the same Pulumi.yaml and Pulumi.<stack>.yaml and runs the same
// code path as `pulumi up`; bad config exits 1 with the same error. With
// -check it also runs the policy rules (internal/policy) over the render and
// exits 3 when one is violated.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/zot-registry/zot-registry/internal/policy"
	"github.com/zot-registry/zot-registry/internal/render"
	"github.com/zot-registry/zot-registry/program"
	"github.com/zot-registry/zot-registry/zot/spec"
)

// Exit codes.
const (
	exitError     = 1 // bad config, or the render could not be written
	exitViolation = 3 // -check found a policy violation
)

func main() {
	stack := flag.String("stack", "dev", "stack name: reads Pulumi.<stack>.yaml")
	out := flag.String("out", "", "folder to write the render into (replaced if it holds an earlier render); default out/<stack>")
	dir := flag.String("project", ".", "folder holding Pulumi.yaml and the stack config files")
	stacks := flag.String("stacks", "", "folder holding Pulumi.<stack>.yaml when it is not the project folder (examples/stacks: examples that are no environment); default -project")
	check := flag.Bool("check", false, "run the policy rules over the render; exit 3 on a violation")
	flag.Parse()
	if *stacks == "" {
		*stacks = *dir
	}
	if *out == "" {
		*out = "out/" + *stack
	}

	res, err := render.EvaluateFrom(*dir, *stacks, *stack)
	if err != nil {
		// Config problems print exactly as pulumi up logs them.
		var errs spec.Errors
		var fe *spec.FieldError
		if errors.As(err, &errs) || errors.As(err, &fe) {
			fmt.Fprintln(os.Stderr, program.Message(err))
		} else {
			fmt.Fprintf(os.Stderr, "render: stack %s: %v\n", *stack, err)
		}
		os.Exit(exitError)
	}
	content, err := res.Files()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitError)
	}
	files, err := render.WriteFiles(*out, content)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(exitError)
	}
	fmt.Println(res.Summary(*out, files))
	for _, w := range spec.IdentityAdvice(res.Config.Identity) { // as preview warns
		fmt.Fprintf(os.Stderr, "warning: %v\n", &w)
	}
	if !*check {
		return
	}
	violations := policy.Check(policy.FromRender(res, content))
	// The other stacks of the project: nothing this one owns may be theirs.
	others, skipped, err := policy.LoadStacks(*dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "render: stack %s: %v\n", *stack, err)
		os.Exit(exitError)
	}
	for _, name := range skipped {
		fmt.Fprintf(os.Stderr, "render: stack %s: not compared with stack %s, whose config is invalid (its own -check says why)\n", *stack, name)
	}
	violations = append(violations, policy.Involving(policy.Collisions(others), *stack)...)
	for _, v := range violations {
		fmt.Fprintf(os.Stderr, "policy %s\n", v)
	}
	if len(violations) > 0 {
		fmt.Fprintf(os.Stderr, "render: stack %s: %d policy violation(s)\n", *stack, len(violations))
		os.Exit(exitViolation)
	}
	fmt.Printf("policy: %d rules passed for stack %s, and it shares nothing with the project's %d other stacks\n", len(policy.Rules), *stack, len(others)-1)
}
