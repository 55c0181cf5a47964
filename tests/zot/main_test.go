package zot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain renders every variant with the main module's own command
// (ZOT_TIER_RENDERS names a folder rendered before, for a quick rerun).
func TestMain(m *testing.M) {
	dir := os.Getenv("ZOT_TIER_RENDERS")
	if dir == "" {
		tmp, err := os.MkdirTemp("", "zot-tier-renders-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		dir = tmp
		cmd := exec.Command("go", "run", "./tests/render-variants", "-out", dir)
		cmd.Dir = filepath.Join("..", "..")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "zot tier: rendering the variants failed:", err)
			os.Exit(1)
		}
	}
	var err error
	if renders, err = loadRenders(dir); err != nil {
		fmt.Fprintln(os.Stderr, "zot tier:", err)
		os.Exit(1)
	}
	code := m.Run()
	if os.Getenv("ZOT_TIER_RENDERS") == "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
