// Command render evaluates the program for one stack offline, under Pulumi
// mocks, and writes what `pulumi up` would deploy:
//
//	go run ./cmd/render -stack dev -out out/dev
//
// It reads the same Pulumi.yaml and Pulumi.<stack>.yaml and runs the same
// code path as `pulumi up`; bad config exits 1 with the same error.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zot-registry/zot-registry/internal/render"
)

func main() {
	stack := flag.String("stack", "dev", "stack name: reads Pulumi.<stack>.yaml")
	out := flag.String("out", "out/dev", "folder to write the render into (replaced if it holds an earlier render)")
	dir := flag.String("project", ".", "folder holding Pulumi.yaml and the stack config files")
	flag.Parse()

	res, err := render.Evaluate(*dir, *stack)
	if err != nil {
		fmt.Fprintf(os.Stderr, "render: stack %s: %v\n", *stack, err)
		os.Exit(1)
	}
	files, err := res.Write(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(res.Summary(*out, files))
}
